package io.sluice.applier.render.nft;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One {@code nft -f} transaction computed by {@link NftDiff}, with what it touches.
 *
 * @param script          the transaction text; empty when nothing changed
 * @param fullTables      tables (as {@code family name}) replaced whole: add + delete + full definition
 * @param deletedTables   tables deleted because the new rule set no longer has them
 * @param chainsAdded     chains created (outside full tables)
 * @param chainsRefilled  chains flushed and refilled
 * @param chainsDeleted   chains flushed and deleted
 * @param setsAdded       sets and maps created or re-created
 * @param setsDeleted     sets and maps deleted or re-created
 * @param elementsAdded   elements added (a changed element counts once here and once in deleted)
 * @param elementsDeleted elements deleted
 * @param chainsWritten   chains whose rules the transaction writes (new, refilled, re-created, and every
 *                        chain of a table loaded whole), as {@code family table/chain}, sorted
 * @param chainsRemoved   chains deleted (also those of deleted tables), as {@code family table/chain}, sorted
 * @param rulesWritten    rules added, per table ({@code family table})
 */
public record NftChange(String script, List<String> fullTables, List<String> deletedTables, int chainsAdded,
        int chainsRefilled, int chainsDeleted, int setsAdded, int setsDeleted, int elementsAdded, int elementsDeleted,
        Set<String> chainsWritten, Set<String> chainsRemoved, Map<String, Integer> rulesWritten) {
    public NftChange {
        Objects.requireNonNull(script, "script");
        fullTables = List.copyOf(fullTables);
        deletedTables = List.copyOf(deletedTables);
        chainsWritten = Collections.unmodifiableSortedSet(new TreeSet<>(chainsWritten));
        chainsRemoved = Collections.unmodifiableSortedSet(new TreeSet<>(chainsRemoved));
        rulesWritten = Collections.unmodifiableSortedMap(new TreeMap<>(rulesWritten));
    }

    public boolean isEmpty() {
        return script.isEmpty();
    }

    /** True when at least one table is loaded whole. */
    public boolean full() {
        return !fullTables.isEmpty();
    }

    /** For logs: {@code full [ip sluice]} or {@code chains +2 ~1 -0, sets +0 -0, elements +3 -1}. */
    public String summary() {
        if (isEmpty()) {
            return "no change";
        }
        StringBuilder s = new StringBuilder();
        if (full()) {
            s.append("full ").append(fullTables);
        }
        if (!deletedTables.isEmpty()) {
            s.append(s.length() > 0 ? ", " : "").append("delete ").append(deletedTables);
        }
        if (chainsAdded + chainsRefilled + chainsDeleted + setsAdded + setsDeleted + elementsAdded + elementsDeleted > 0) {
            s.append(s.length() > 0 ? ", " : "")
                    .append("chains +").append(chainsAdded).append(" ~").append(chainsRefilled).append(" -").append(chainsDeleted)
                    .append(", sets +").append(setsAdded).append(" -").append(setsDeleted)
                    .append(", elements +").append(elementsAdded).append(" -").append(elementsDeleted);
        }
        return s.toString();
    }
}
