// Writes token_count_golden.json: the cl100k_base token ids of varied texts, for TokenCounterTest.
// Run from this folder after the module's build (which installs js-tiktoken in src/main/tokenizer):
//   node token_count_golden.mjs
//
// MLflow counts with Python's tiktoken (0.8 and later), whose split pattern uses Rust regex features JavaScript
// lacks (possessive quantifiers, scoped case folding, Unicode's \s). js-tiktoken ships an older, JavaScript-
// compatible pattern that splits a few texts differently (whitespace holding a newline at the very end, U+0085 and
// U+FEFF, 'ſ). So the ids below ("ids") come from js-tiktoken's own BPE and ranks with tiktoken's pattern restated
// in JavaScript: possessive X++ as (?=(X+))\N, (?i:) spelled out, \s as Unicode's White_Space list. Where
// js-tiktoken's stock pattern gives other ids they are kept too ("js_tiktoken_ids"), to show the difference.
import { writeFileSync } from "node:fs";
import { Tiktoken } from "../../../../main/tokenizer/node_modules/js-tiktoken/dist/lite.js";
import cl100k from "../../../../main/tokenizer/node_modules/js-tiktoken/dist/ranks/cl100k_base.js";

const WS_CHARS = "\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WS = `[${WS_CHARS}]`;
const NOT_WS = `[^${WS_CHARS}]`;
// tiktoken: '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
const TIKTOKEN_PATTERN = [
  "'(?:[sS\\u017f]|[dD]|[mM]|[tT]|[lL][lL]|[vV][eE]|[rR][eE])",
  "(?=([^\\r\\n\\p{L}\\p{N}]?))\\1(?=(\\p{L}+))\\2",
  "(?=(\\p{N}{1,3}))\\3",
  ` ?(?=([^${WS_CHARS}\\p{L}\\p{N}]+))\\4(?=([\\r\\n]*))\\5`,
  `(?=(${WS}+))\\6$`,
  `${WS}*[\\r\\n]`,
  `${WS}+(?!${NOT_WS})`,
  WS,
].join("|");

const tiktoken = new Tiktoken({ ...cl100k, pat_str: TIKTOKEN_PATTERN });
const stock = new Tiktoken(cl100k);

// a fixed pseudo-random sequence, so the file is the same on every run
let seed = 20241105;
function random() {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
}
function randomText(length, alphabet) {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(random() * alphabet.length)];
  return s;
}

const texts = [
  ["empty", ""],
  ["one space", " "],
  ["three spaces", "   "],
  ["two words", "hello world"],
  ["punctuation", "Hello, World! How are you? (Fine.)"],
  ["one newline", "\n"],
  ["newline run", "\n\n\n"],
  ["blank line between", "a\n\nb"],
  ["line endings", "line one\nline two\r\nline three\r\n"],
  ["leading and trailing spaces", "  leading and trailing  "],
  ["newline then spaces at the end", "trailing newline then spaces\n  "],
  ["space newline tab at the end", "ends \t\n\t"],
  ["space then newline at the end", "ends with space then newline \n"],
  ["indented lines", "  \n  \n  end"],
  ["tabs", "tab\tseparated\tvalues\t"],
  ["many spaces before a word", "                x"],
  ["seven digits", "1234567"],
  ["twenty digits", "12345678901234567890"],
  ["decimals and thousands", "3.14159 and 2,718,281 and -0.5e-10"],
  ["letters and digits", "mixed123abc456def 7890"],
  ["contractions", "I'm sure you'll see they've done what we'd say it's"],
  ["upper-case contractions", "I'M SURE YOU'LL SEE THEY'VE DONE IT'S WE'D"],
  ["mixed-case contractions", "'S 'Ll 'lL 'Re 'rE 'vE 'D 'M 'T"],
  ["curly apostrophe", "don\u2019t won\u2019t it\u2019s"],
  ["long s contraction", "'\u017f and '\u017fa"],
  ["accents", "na\u00efve caf\u00e9 r\u00e9sum\u00e9 \u00c0\u00c9\u00ce\u00d5\u00dc \u00c7\u00e7\u00d1\u00f1"],
  ["german", "Gr\u00f6\u00dfenwahn Stra\u00dfe \u00fcber"],
  ["cyrillic", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041a\u0430\u043a \u0434\u0435\u043b\u0430?"],
  ["greek", "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u03ba\u03b5\u03af\u03bc\u03b5\u03bd\u03b1"],
  ["chinese", "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u8fd9\u662f\u4e00\u4e2a\u6d4b\u8bd5\u3002"],
  ["japanese", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3068\u30ab\u30bf\u30ab\u30ca\u3001\u3072\u3089\u304c\u306a"],
  ["korean", "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8"],
  ["arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645"],
  ["hindi with combining marks", "\u0939\u093f\u0928\u094d\u0926\u0940 \u092a\u093e\u0920"],
  ["thai", "\u0e44\u0e17\u0e22 \u0e20\u0e32\u0e29\u0e32"],
  ["emoji", "emoji \ud83d\ude00\ud83d\ude03\ud83d\ude04 \ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 \ud83c\uddeb\ud83c\uddf7!"],
  ["math symbols", "\u2211 \u222b \u221a \u2260 \u2264 \u221e x\u00b2"],
  ["unicode spaces", "\u00a0nbsp\u00a0 and\u2003em space\u3000ideographic\u2028sep"],
  ["zero-width characters", "zero\u200bwidth\u200djoiner\u2060"],
  ["next line and byte order mark", "a\u0085b \ufeffBOM\u0085"],
  ["lone surrogates", "a\ud800b \udc00 c\ud83d"],
  ["python code", "def f(x):\n    return x ** 2  # square\n\n\nprint(f(3))\n"],
  ["java code", "public static void main(String[] args) {\n\tSystem.out.println(\"hi\");\n}\n"],
  ["json", '{"key": [1, 2, 3], "nested": {"a": null, "b": true}}'],
  ["html", '<div class="x">Hi &amp; bye</div><br/>'],
  ["url", "https://example.com/path/to?query=1&b=two#frag"],
  ["markdown", "# Title\n\n- item 1\n- item 2\n\n**bold** _it_ `code`"],
  ["expression", "x = 10**9 + 7; y=-3.5e-10; z != w >= 3"],
  ["almost a special token", "<|endoftext| and |> and <|endoftext"],
  ["repeated sentence", "The quick brown fox jumps over the lazy dog. ".repeat(200)],
  ["a thousand a's", "a".repeat(1000)],
  ["long random letters", randomText(3000, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ\u00e9\u00fc")],
  ["long random punctuation", randomText(1500, "!@#$%^&*()[]{};:,.<>/?-_=+~")],
  ["long random words", Array.from({ length: 400 }, () => randomText(1 + Math.floor(random() * 9), "etaoinshrdlucmfwyp")).join(" ")],
  ["long random mixed", randomText(2000, "ab1 2\n\t.,'s\u00e9\u4e2d\ud83d\ude00")],
  ["a thousand spaces", " ".repeat(1000)],
  ["a thousand newlines and a word", "\n".repeat(1000) + "word"],
];

const refused = [
  ["end of text", "some text <|endoftext|> more"],
  ["two special tokens, the first named", "x <|fim_prefix|> y <|endoftext|>"],
  ["only end of prompt", "<|endofprompt|>"],
];

const cases = texts.map(([name, text]) => {
  const ids = tiktoken.encode(text);
  const stockIds = stock.encode(text);
  const same = ids.length === stockIds.length && ids.every((id, i) => id === stockIds[i]);
  return same ? { name, text, ids } : { name, text, ids, js_tiktoken_ids: stockIds };
});
for (const [name, text] of refused) {
  let error = null;
  try {
    tiktoken.encode(text);
  } catch (e) {
    error = String(e.message).replace(/^.*: /, "");
  }
  if (error === null) throw new Error(`js-tiktoken accepted ${JSON.stringify(text)}`);
  cases.push({ name, text, refused_special_token: error });
}

writeFileSync(
  new URL("token_count_golden.json", import.meta.url),
  JSON.stringify({ encoding: "cl100k_base", generator: "js-tiktoken 1.0.21, tiktoken's split pattern", cases }, null, 1) + "\n",
);
console.log(`${cases.length} cases, ${cases.filter((c) => c.js_tiktoken_ids).length} split differently by js-tiktoken's own pattern`);
