package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One or more tables in Sluice's {@code nft -f} text form ({@link NftTable#toText()}), and the
 * parser that reads that form back. The parser accepts exactly the lines Sluice writes, in any
 * order that declares before use: {@code add table|chain|set|map|rule|element}, blank lines and
 * {@code #} comments. Anything else is rejected with its line number, because the backend diffs
 * what it parsed and must not silently drop a line it did not understand.
 *
 * @param tables in the order the text declares them
 */
public record NftScript(List<NftTable> tables) {
    public NftScript {
        tables = List.copyOf(tables);
        Map<String, NftTable> seen = new LinkedHashMap<>();
        for (NftTable t : tables) {
            if (seen.put(t.qualifiedName(), t) != null) {
                throw new IllegalArgumentException("table " + t.qualifiedName() + " appears twice");
            }
        }
    }

    /** The tables by {@code family name}, in text order. */
    public Map<String, NftTable> byName() {
        Map<String, NftTable> out = new LinkedHashMap<>();
        tables.forEach(t -> out.put(t.qualifiedName(), t));
        return out;
    }

    /** Every table's canonical text, separated by a blank line. */
    public String toText() {
        StringBuilder out = new StringBuilder();
        for (NftTable t : tables) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(t.toText());
        }
        return out.toString();
    }

    /** Reads Sluice's text form; throws {@link IllegalArgumentException} naming the first bad line. */
    public static NftScript parse(String text) {
        Map<String, NftTable.Builder> builders = new LinkedHashMap<>();
        int lineNo = 0;
        for (String raw : text.lines().toList()) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                parseLine(line, builders);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage() + ": " + line, e);
            }
        }
        List<NftTable> tables = new ArrayList<>();
        builders.values().forEach(b -> tables.add(b.build()));
        return new NftScript(tables);
    }

    private static void parseLine(String line, Map<String, NftTable.Builder> builders) {
        Tokens t = new Tokens(line);
        t.expect("add");
        String what = t.next("an object type");
        String family = t.next("a family");
        String table = t.next("a table name");
        String qualified = family + " " + table;
        if (what.equals("table")) {
            if (builders.containsKey(qualified)) {
                throw new IllegalArgumentException("table " + qualified + " declared twice");
            }
            builders.put(qualified, NftTable.builder(family, table, t.rest()));
            return;
        }
        NftTable.Builder b = builders.get(qualified);
        if (b == null) {
            throw new IllegalArgumentException("table " + qualified + " is used before 'add table'");
        }
        String name = t.next("a name");
        switch (what) {
            case "chain" -> b.chain(name, optionalSpec(t.rest(), "chain"));
            case "set" -> b.set(name, requireSpec(t.rest(), "set"));
            case "map" -> b.map(name, requireSpec(t.rest(), "map"));
            case "rule" -> {
                String rule = t.rest();
                if (rule.isEmpty()) {
                    throw new IllegalArgumentException("rule without a body");
                }
                b.rule(name, rule);
            }
            case "element" -> element(b, name, t.rest());
            default -> throw new IllegalArgumentException("unknown object '" + what
                    + "' (expected table, chain, set, map, rule or element)");
        }
    }

    private static String optionalSpec(String spec, String kind) {
        return spec.isEmpty() ? spec : requireSpec(spec, kind);
    }

    private static String requireSpec(String spec, String kind) {
        if (!spec.startsWith("{") || !spec.endsWith("}")) {
            throw new IllegalArgumentException(kind + " declaration must be { … }");
        }
        return spec;
    }

    private static void element(NftTable.Builder b, String set, String rest) {
        if (!rest.startsWith("{ ") || !rest.endsWith(" }")) {
            throw new IllegalArgumentException("element must be written '{ key [comment \"…\"] [: value] }'");
        }
        String body = rest.substring(2, rest.length() - 2).strip();
        if (body.isEmpty() || body.contains("{") || body.contains("}") || body.contains(", ")) {
            throw new IllegalArgumentException("one element per line, without nested braces");
        }
        String key = NftSet.keyOf(body);
        String after = body.substring(key.length()).strip();
        String comment = null;
        if (after.startsWith("comment \"")) {
            int close = after.indexOf('"', "comment \"".length());
            if (close < 0) {
                throw new IllegalArgumentException("unterminated element comment");
            }
            comment = after.substring("comment \"".length(), close);
            after = after.substring(close + 1).strip();
        }
        String value = null;
        if (after.startsWith(": ")) {
            value = after.substring(2).strip();
        } else if (!after.isEmpty()) {
            throw new IllegalArgumentException("unexpected '" + after + "' after the element key");
        }
        if (!b.element(set, key, comment, value)) {
            throw new IllegalArgumentException("element " + key + " of " + set + " appears twice");
        }
    }

    /** Whitespace-separated words of one line, with the unparsed remainder on request. */
    private static final class Tokens {
        private final String line;
        private int pos;

        Tokens(String line) {
            this.line = line;
        }

        String next(String what) {
            skipSpaces();
            int start = pos;
            while (pos < line.length() && !Character.isWhitespace(line.charAt(pos))) {
                pos++;
            }
            if (start == pos) {
                throw new IllegalArgumentException("expected " + what);
            }
            return line.substring(start, pos);
        }

        void expect(String word) {
            String w = next("'" + word + "'");
            if (!w.equals(word)) {
                throw new IllegalArgumentException("expected '" + word + "', found '" + w + "'");
            }
        }

        String rest() {
            skipSpaces();
            String r = line.substring(pos).strip();
            pos = line.length();
            return r;
        }

        private void skipSpaces() {
            while (pos < line.length() && Character.isWhitespace(line.charAt(pos))) {
                pos++;
            }
        }
    }
}
