package dev.skein.cli.projects;

import java.util.ArrayList;
import java.util.List;

/** POSIX shell word splitting as Python's {@code shlex.split}: quotes and backslashes, no expansion. */
public final class ShellSplit {

    private ShellSplit() {}

    public static List<String> split(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        int i = 0;
        while (i < command.length()) {
            char c = command.charAt(i);
            if (c == '\'') {
                int end = command.indexOf('\'', i + 1);
                if (end < 0) {
                    throw new ProjectException("unbalanced ' in the command: " + command);
                }
                word.append(command, i + 1, end);
                inWord = true;
                i = end + 1;
            } else if (c == '"') {
                i++;
                while (true) {
                    if (i >= command.length()) {
                        throw new ProjectException("unbalanced \" in the command: " + command);
                    }
                    char d = command.charAt(i);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\' && i + 1 < command.length() && "\\\"$`\n".indexOf(command.charAt(i + 1)) >= 0) {
                        d = command.charAt(++i);
                    }
                    word.append(d);
                    i++;
                }
                inWord = true;
                i++;
            } else if (c == '\\' && i + 1 < command.length()) {
                word.append(command.charAt(i + 1));
                inWord = true;
                i += 2;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                i++;
            } else {
                word.append(c);
                inWord = true;
                i++;
            }
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }
}
