package io.sluice.applier.render.nft;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A named set or map of a table with the elements Sluice writes into it (a dynamic set that the
 * kernel fills, such as an affinity set, has none here).
 *
 * @param name     the set's name
 * @param map      true for {@code add map}, false for {@code add set}
 * @param spec     the declaration after the name, e.g. {@code { type ipv4_addr ; comment "…" ; }}
 * @param elements element key (e.g. {@code 172.30.0.41 . tcp . 80}) → the element as written
 *                 between the braces of {@code add element} (key, optional comment, {@code : value})
 */
public record NftSet(String name, boolean map, String spec, SortedMap<String, String> elements) {
    public NftSet {
        NftNames.checkName(map ? "map" : "set", name);
        Objects.requireNonNull(spec, "spec");
        spec = spec.strip();
        if (spec.isEmpty()) {
            throw new IllegalArgumentException((map ? "map " : "set ") + name + " has no declaration ({ type … ; })");
        }
        elements = Collections.unmodifiableSortedMap(new TreeMap<>(elements));
        elements.forEach((k, body) -> {
            if (!body.startsWith(k) || body.contains("\n")) {
                throw new IllegalArgumentException("element '" + body + "' of " + name + " does not start with its key '"
                        + k + "' or spans lines");
            }
        });
    }

    /** {@code set} or {@code map}, as nft spells the object. */
    public String kind() {
        return map ? "map" : "set";
    }

    /**
     * The key of an element body: everything before {@code comment "…"} or {@code : value}.
     * Keys are written with single spaces ({@code a . b . c}), and addresses have no spaced colon.
     */
    public static String keyOf(String body) {
        String b = body.strip();
        int end = b.length();
        int comment = b.indexOf(" comment ");
        if (comment >= 0) {
            end = comment;
        }
        int colon = b.indexOf(" : ");
        if (colon >= 0 && colon < end) {
            end = colon;
        }
        return b.substring(0, end).strip();
    }
}
