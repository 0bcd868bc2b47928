package dev.skein.llmgateway.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The characters of text in OpenAI's shapes — a request's messages, prompt and tools, a stream chunk's deltas — which
 * an estimate of a call's tokens counts when the provider did not report them.
 */
final class TextChars {

    private TextChars() {}

    /** A request's text: its messages' content (string or text parts), its tool calls, prompt, input and tools. */
    static long prompt(JsonObject request) {
        long chars = 0;
        if (request.getValue("messages") instanceof JsonArray messages) {
            for (Object m : messages) {
                if (m instanceof JsonObject message) {
                    chars += content(message.getValue("content"));
                    chars += toolCalls(message.getValue("tool_calls"));
                }
            }
        }
        chars += content(request.getValue("prompt"));
        chars += content(request.getValue("input")); // embeddings: a text or a list of texts
        if (request.getValue("tools") instanceof JsonArray tools) {
            chars += tools.encode().length(); // a provider reads the tools' schemas as input too
        }
        return chars;
    }

    /** A stream chunk's text: its choices' content or text deltas and tool-call argument pieces. */
    static long answer(JsonObject chunk) {
        long chars = 0;
        if (chunk.getValue("choices") instanceof JsonArray choices) {
            for (Object c : choices) {
                if (c instanceof JsonObject choice) {
                    chars += content(choice.getValue("text"));
                    if (choice.getValue("delta") instanceof JsonObject delta) {
                        chars += content(delta.getValue("content"));
                        chars += toolCalls(delta.getValue("tool_calls"));
                    }
                }
            }
        }
        return chars;
    }

    /** A string, an array of strings (a batch of prompts) or of content parts ({@code {"type": "text", "text"}}). */
    private static long content(Object value) {
        if (value instanceof String text) {
            return text.length();
        }
        long chars = 0;
        if (value instanceof JsonArray parts) {
            for (Object part : parts) {
                if (part instanceof String text) {
                    chars += text.length();
                } else if (part instanceof JsonObject p && p.getValue("text") instanceof String text) {
                    chars += text.length();
                }
            }
        }
        return chars;
    }

    private static long toolCalls(Object value) {
        long chars = 0;
        if (value instanceof JsonArray calls) {
            for (Object c : calls) {
                if (c instanceof JsonObject call && call.getValue("function") instanceof JsonObject function) {
                    chars += content(function.getValue("name")) + content(function.getValue("arguments"));
                }
            }
        }
        return chars;
    }
}
