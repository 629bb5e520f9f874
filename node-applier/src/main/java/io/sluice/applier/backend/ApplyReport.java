package io.sluice.applier.backend;

import io.sluice.applier.render.RuleSet;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one {@link RuleBackend#apply(RuleSet, SyncKind, Set)} did.
 *
 * @param kind          the kind of sync actually done: a backend may turn a requested PARTIAL into a
 *                      FULL one (it had no trusted model of the kernel)
 * @param chainsWritten sorted: chains (or the backend's unit of change) created or rewritten, "table/CHAIN"
 * @param chainsDeleted chains deleted, "table/CHAIN"
 * @param rulesWritten  rules sent to the kernel per table (iptables: {@code -A}/{@code -I} lines);
 *                      empty when the backend does not count them
 * @param bytesSent     size of the input given to the kernel tool; 0 when nothing was sent
 */
public record ApplyReport(SyncKind kind, Set<String> chainsWritten, Set<String> chainsDeleted,
        Map<String, Integer> rulesWritten, long bytesSent) {
    public ApplyReport {
        Objects.requireNonNull(kind, "kind");
        chainsWritten = Collections.unmodifiableSortedSet(new TreeSet<>(chainsWritten));
        chainsDeleted = Collections.unmodifiableSortedSet(new TreeSet<>(chainsDeleted));
        rulesWritten = Collections.unmodifiableSortedMap(new TreeMap<>(rulesWritten));
    }

    /** A backend that rewrote the whole rule set. */
    public static ApplyReport whole(SyncKind kind, RuleSet rules) {
        return new ApplyReport(kind, rules.chains(), Set.of(), Map.of(), rules.text().length());
    }

    /** Whether the kernel was left untouched (nothing differed). */
    public boolean nothingSent() {
        return bytesSent == 0;
    }

    /** Short form for log lines: {@code partial: 3 chains written, 0 deleted, 2411 bytes}. */
    public String describe() {
        return kind.wireName() + ": " + chainsWritten.size() + " chains written, " + chainsDeleted.size() + " deleted, "
                + bytesSent + " bytes" + (rulesWritten.isEmpty() ? "" : ", rules " + new TreeMap<>(rulesWritten));
    }
}
