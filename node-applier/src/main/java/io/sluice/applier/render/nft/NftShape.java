package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a table, one line per object, in a form both a model and the kernel's listing
 * ({@code nft list table ip sluice}) give: every chain with its number of rules, every set and map
 * with its number of elements ({@code dynamic} for sets the kernel fills, such as affinity sets).
 * What drift checks compare: a deleted or flushed table, a flushed or deleted chain, rules or
 * elements added or removed behind Sluice's back all change it. A rule rewritten in place does not
 * (the kernel prints rules in its own normal form, which Sluice does not reproduce).
 */
public final class NftShape {
    private NftShape() {
    }

    /** The shape of {@code model}: lines {@code family table chain NAME: N rules}, {@code … set|map NAME: N elements}. */
    public static List<String> of(NftTableModel<?> model) {
        List<String> out = new ArrayList<>();
        String q = model.qualifiedName() + " ";
        NftTable base = model.base();
        base.chains().values().forEach(c -> out.add(chain(q, c.name(), c.rules().size())));
        base.sets().values().forEach(s -> out.add(set(q, s, s.elements().size() + model.claims(s.name()).size())));
        model.fragments().forEach((k, f) -> {
            f.chains.forEach(c -> out.add(chain(q, c.name(), c.rules().size())));
            f.sets.forEach(s -> out.add(set(q, s, s.elements().size())));
        });
        return out;
    }

    private static String chain(String q, String name, int rules) {
        return q + "chain " + name + ": " + rules + " rules";
    }

    private static String set(String q, NftSet s, int elements) {
        return q + s.kind() + " " + s.name() + ": " + (s.spec().contains("dynamic") ? "dynamic" : elements + " elements");
    }

    /**
     * The shape of the kernel's listing of one table ({@code nft list table <family> <name>}, without
     * handles); {@code qualifiedName} is {@code family name}.
     *
     * @throws IllegalArgumentException when the listing is not in the form nft prints
     */
    public static List<String> parseListing(String qualifiedName, String listing) {
        List<String> out = new ArrayList<>();
        String q = qualifiedName + " ";
        String kind = null;
        String name = null;
        int rules = 0;
        boolean dynamic = false;
        StringBuilder elements = null;
        int elementCount = 0;
        for (String raw : listing.lines().toList()) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("table ")) {
                continue;
            }
            if (elements != null) {
                elements.append(' ').append(line);
                if (line.endsWith("}")) {
                    elementCount = count(elements);
                    elements = null;
                }
                continue;
            }
            if (kind == null) {
                if (line.equals("}") || line.startsWith("comment \"")) {
                    continue; // the table's end or comment
                }
                String[] words = line.split(" ");
                if (words.length != 3 || !words[2].equals("{") || !List.of("chain", "set", "map").contains(words[0])) {
                    throw new IllegalArgumentException("unexpected line in nft's listing of " + qualifiedName + ": " + line);
                }
                kind = words[0];
                name = words[1];
                rules = 0;
                dynamic = false;
                elementCount = 0;
                continue;
            }
            if (line.equals("}")) {
                out.add(kind.equals("chain") ? chain(q, name, rules)
                        : q + kind + " " + name + ": " + (dynamic ? "dynamic" : elementCount + " elements"));
                kind = null;
                continue;
            }
            if (kind.equals("chain")) {
                if (!line.startsWith("type ") && !line.startsWith("comment \"") && !line.startsWith("policy ")) {
                    rules++;
                }
            } else if (line.startsWith("flags ") && line.contains("dynamic")) {
                dynamic = true;
            } else if (line.startsWith("elements = {")) {
                elements = new StringBuilder(line.substring("elements = {".length()));
                if (line.endsWith("}")) {
                    elementCount = count(elements);
                    elements = null;
                }
            }
        }
        if (kind != null || elements != null) {
            throw new IllegalArgumentException("nft's listing of " + qualifiedName + " ends inside " + kind + " " + name);
        }
        return out;
    }

    /** Elements between the braces, separated by commas (no element Sluice writes contains one). */
    private static int count(StringBuilder elements) {
        String body = elements.toString().strip();
        if (body.endsWith("}")) {
            body = body.substring(0, body.length() - 1).strip();
        }
        return body.isEmpty() ? 0 : body.split(",").length;
    }
}
