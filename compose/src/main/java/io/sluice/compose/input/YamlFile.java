package io.sluice.compose.input;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * A YAML file read into trees that remember where each value came from, so every later error can
 * say {@code file:line}. A file holds one or more documents ({@code ---}); empty documents are
 * skipped. Duplicate keys are syntax errors (as for kubectl and kube-proxy's strict decoding).
 */
public final class YamlFile {
    private static final YAMLMapper MAPPER = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS) // scalars are read one at a time, inside a document
            .build();

    /**
     * One document: its tree, and the line of every value in it by JSON pointer
     * ({@code /spec/ports/0/port}; the root is {@code ""}).
     */
    public record Document(Path file, JsonNode root, Map<String, Integer> lines) {
        public Document {
            lines = Map.copyOf(lines);
        }

        /** The line of the value at {@code pointer}, or of its nearest enclosing value. */
        public int line(String pointer) {
            String p = pointer;
            while (true) {
                Integer l = lines.get(p);
                if (l != null) {
                    return l;
                }
                if (p.isEmpty()) {
                    return 1;
                }
                p = p.substring(0, Math.max(0, p.lastIndexOf('/')));
            }
        }

        /** {@code file:line} of the value at {@code pointer}. */
        public String where(String pointer) {
            return file + ":" + line(pointer);
        }

        /** The same document seen from a sub-tree (e.g. an item of a List), lines kept. */
        public Document at(String pointer) {
            Map<String, Integer> sub = new HashMap<>();
            lines.forEach((k, v) -> {
                if (k.equals(pointer) || k.startsWith(pointer + "/")) {
                    sub.put(k.substring(pointer.length()), v);
                }
            });
            return new Document(file, root.at(pointer), sub);
        }
    }

    private YamlFile() {
    }

    /** Reads every non-empty document of {@code file}; a syntax error names the file, line and column. */
    public static List<Document> read(Path file) throws InputException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new InputException(file + ": no such readable file");
        }
        List<Document> docs = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             JsonParser p = MAPPER.createParser(in)) {
            while (p.nextToken() != null) {
                Map<String, Integer> lines = new HashMap<>();
                JsonNode root = value(p, "", lines);
                if (!root.isNull() && !root.isMissingNode()) {
                    docs.add(new Document(file, root, lines));
                }
            }
        } catch (JacksonException e) {
            throw new InputException(syntaxError(file, e));
        } catch (IOException e) {
            throw new InputException(file + ": cannot read: " + e.getMessage());
        }
        return docs;
    }

    /** Reads the value at the current token, recording the line of it and of everything inside. */
    private static JsonNode value(JsonParser p, String pointer, Map<String, Integer> lines) {
        lines.put(pointer, p.currentTokenLocation().getLineNr());
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                p.nextToken();
                o.set(name, value(p, pointer + "/" + escape(name), lines));
            }
            return o;
        }
        if (t == JsonToken.START_ARRAY) {
            ArrayNode a = JsonNodeFactory.instance.arrayNode();
            int i = 0;
            while (p.nextToken() != JsonToken.END_ARRAY) {
                a.add(value(p, pointer + "/" + i++, lines));
            }
            return a;
        }
        JsonNode scalar = MAPPER.readTree(p);
        return scalar == null ? JsonNodeFactory.instance.nullNode() : scalar;
    }

    /** JSON pointer escaping (RFC 6901). */
    public static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }

    private static String syntaxError(Path file, JacksonException e) {
        TokenStreamLocation at = e.getLocation();
        String where = at == null || at.getLineNr() < 1 ? file.toString() : file + ":" + at.getLineNr() + ":" + at.getColumnNr();
        String message = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage();
        return where + ": YAML syntax error: " + message.lines().findFirst().orElse(message).strip();
    }
}
