package io.sluice.applier.render.nft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs an {@code nft -f} transaction against one parsed table, enforcing what the kernel enforces
 * for the commands Sluice sends: a rule or element may only name chains and sets that exist, an
 * object that is still named somewhere cannot be deleted, an element cannot be added twice with a
 * different value, deleting what does not exist fails. Commands run in order, as in the kernel's
 * transaction. Honest about ordering and references only; the real kernel test is NftablesBackendIT.
 */
public final class NftKernelModel {
    private String family;
    private String name;
    private String spec;
    private boolean exists;
    private final Map<String, String> chainSpecs = new LinkedHashMap<>();
    private final Map<String, List<String>> rules = new LinkedHashMap<>();
    private final Map<String, NftSet> sets = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> elements = new LinkedHashMap<>();

    private NftKernelModel(NftTable t) {
        if (t != null) {
            family = t.family();
            name = t.name();
            spec = t.spec();
            exists = true;
            t.chains().values().forEach(c -> {
                chainSpecs.put(c.name(), c.spec());
                rules.put(c.name(), new ArrayList<>(c.rules()));
            });
            t.sets().values().forEach(s -> {
                sets.put(s.name(), s);
                elements.put(s.name(), new TreeMap<>(s.elements()));
            });
        }
    }

    /** The table after the transaction; throws IllegalStateException where the kernel would refuse it. */
    public static NftTable apply(NftTable before, String script) {
        NftKernelModel k = new NftKernelModel(before);
        int n = 0;
        for (String line : script.lines().toList()) {
            n++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            try {
                k.run(line);
            } catch (RuntimeException e) {
                throw new IllegalStateException("transaction line " + n + " refused: " + e.getMessage() + ": " + line, e);
            }
        }
        return k.table();
    }

    private NftTable table() {
        if (!exists) {
            return null;
        }
        StringBuilder text = new StringBuilder("add table " + family + " " + name + " " + spec + "\n");
        String q = " " + family + " " + name + " ";
        sets.values().forEach(s -> text.append("add ").append(s.kind()).append(q).append(s.name()).append(' ')
                .append(s.spec()).append('\n'));
        chainSpecs.forEach((c, cs) -> text.append("add chain").append(q).append(c).append(' ').append(cs).append('\n'));
        rules.forEach((c, rs) -> rs.forEach(r -> text.append("add rule").append(q).append(c).append(' ').append(r)
                .append('\n')));
        elements.forEach((set, els) -> els.values().forEach(body -> text.append("add element").append(q).append(set)
                .append(" { ").append(body).append(" }\n")));
        return NftScript.parse(text.toString()).tables().get(0);
    }

    private void run(String line) {
        String[] w = line.split(" ", 5);
        String verb = w[0];
        String what = w[1];
        String qualified = w[2] + " " + w[3];
        if (what.equals("table")) {
            table(verb, w);
            return;
        }
        require(exists && qualified.equals(family + " " + name), "no table " + qualified);
        String rest = w[4];
        int space = rest.indexOf(' ');
        String obj = space < 0 ? rest : rest.substring(0, space);
        String tail = space < 0 ? "" : rest.substring(space + 1).strip();
        switch (verb + " " + what) {
            case "add chain" -> {
                if (chainSpecs.containsKey(obj)) {
                    require(tail.isEmpty() || tail.equals(chainSpecs.get(obj)), "chain " + obj + " exists with another spec");
                } else {
                    chainSpecs.put(obj, tail);
                    rules.put(obj, new ArrayList<>());
                }
            }
            case "flush chain" -> {
                require(chainSpecs.containsKey(obj), "no chain " + obj);
                rules.get(obj).clear();
            }
            case "delete chain" -> {
                require(chainSpecs.containsKey(obj), "no chain " + obj);
                require(rules.get(obj).isEmpty(), "chain " + obj + " still has rules");
                require(!referenced(obj, false), "chain " + obj + " is still referenced");
                chainSpecs.remove(obj);
                rules.remove(obj);
            }
            case "add set", "add map" -> {
                if (sets.containsKey(obj)) {
                    require(sets.get(obj).spec().equals(tail), what + " " + obj + " exists with another spec");
                } else {
                    sets.put(obj, new NftSet(obj, what.equals("map"), tail, new TreeMap<>()));
                    elements.put(obj, new TreeMap<>());
                }
            }
            case "delete set", "delete map" -> {
                require(sets.containsKey(obj), "no " + what + " " + obj);
                require(!referenced(obj, true), what + " " + obj + " is still referenced");
                sets.remove(obj);
                elements.remove(obj);
            }
            case "add rule" -> {
                require(chainSpecs.containsKey(obj), "no chain " + obj);
                checkNames(tail);
                rules.get(obj).add(tail);
            }
            case "add element", "delete element" -> {
                require(sets.containsKey(obj), "no set " + obj);
                require(tail.startsWith("{ ") && tail.endsWith(" }"), "element braces");
                String body = tail.substring(2, tail.length() - 2).strip();
                String key = NftSet.keyOf(body);
                Map<String, String> els = elements.get(obj);
                if (verb.equals("add")) {
                    require(!els.containsKey(key) || els.get(key).equals(body), "element " + key + " exists");
                    checkNames(body.substring(key.length()));
                    els.put(key, body);
                } else {
                    require(els.containsKey(key), "no element " + key);
                    require(key.equals(body), "delete element names its key only");
                    els.remove(key);
                }
            }
            default -> throw new IllegalArgumentException("unknown command " + verb + " " + what);
        }
    }

    private void table(String verb, String[] w) {
        if (verb.equals("add")) {
            if (!exists) {
                family = w[2];
                name = w[3];
                spec = w.length > 4 ? w[4] : "";
                exists = true;
            } else if (w.length > 4) {
                spec = w[4];
            }
        } else if (verb.equals("delete")) {
            require(exists, "no table to delete");
            exists = false;
            chainSpecs.clear();
            rules.clear();
            sets.clear();
            elements.clear();
        } else {
            throw new IllegalArgumentException("unknown table command " + verb);
        }
    }

    private void checkNames(String text) {
        List<String> words = List.of(text.strip().split("[\\s{},]+"));
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if ((word.equals("jump") || word.equals("goto")) && i + 1 < words.size()) {
                require(chainSpecs.containsKey(words.get(i + 1)), "no chain " + words.get(i + 1));
            } else if (word.startsWith("@")) {
                require(sets.containsKey(word.substring(1)), "no set " + word);
            }
        }
    }

    private boolean referenced(String obj, boolean set) {
        String needle = set ? "@" + obj : obj;
        for (List<String> rs : rules.values()) {
            for (String r : rs) {
                if (List.of(r.split("[\\s{},]+")).contains(needle)) {
                    return true;
                }
            }
        }
        if (!set) {
            for (Map<String, String> els : elements.values()) {
                for (String body : els.values()) {
                    if (List.of(body.split("[\\s{},]+")).contains(obj)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }
}
