package io.sluice.applier.render;

import io.sluice.applier.render.nft.NftTableModel;
import io.sluice.applier.render.nft.ShardedMap;
import io.sluice.schema.model.IpFamily;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Protocol;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The nftables rules of one node as a model, not as text: per family one {@link NftTableModel}
 * (the node-wide base plus one fragment per Service port: its chains, its affinity sets, its
 * elements in the verdict maps and sets), so that a sync after a change renders only the changed
 * Services' fragments and shares everything else, by reference, with the model before it. The
 * backend diffs two models without parsing text ({@code NftDiff.between(Map, List)}); the text is
 * only written when asked for ({@link #text()}), and is exactly what the renderer wrote before it
 * had a model. Immutable and thread-safe.
 */
public final class NftablesModel {
    /** A Service port; its order is the resolver's ({@link ServicePortResolver#ORDER}). */
    record PortKey(ServicePortName name, Protocol protocol) implements Comparable<PortKey> {
        @Override
        public int compareTo(PortKey o) {
            int c = name.compareTo(o.name);
            return c != 0 ? c : protocol.compareTo(o.protocol);
        }

        @Override
        public String toString() {
            return name + "/" + protocol;
        }
    }

    /** One family's table and which of its fragments belong to which Service. */
    record Family(IpFamily family, NftTableModel<PortKey> table, ShardedMap<ObjectKey, List<PortKey>> ports) {
    }

    private final NodeContext node;
    private final RenderOptions options;
    private final List<IpFamily> families;
    private final List<Family> tables;
    private final int serviceCount;
    private final int endpointCount;
    private volatile String fingerprint;

    private NftablesModel(NodeContext node, RenderOptions options, List<IpFamily> families, List<Family> tables,
            int serviceCount, int endpointCount) {
        this.node = node;
        this.options = options;
        this.families = List.copyOf(families);
        this.tables = List.copyOf(tables);
        this.serviceCount = serviceCount;
        this.endpointCount = endpointCount;
    }

    /** A model of {@code fragments} (per family, every Service port, keyed) on the node-wide {@code bases}. */
    static NftablesModel of(NodeContext node, RenderOptions options, List<IpFamily> families,
            List<io.sluice.applier.render.nft.NftTable> bases, List<Map<PortKey, NftTableModel.Fragment>> fragments) {
        List<Family> tables = new ArrayList<>();
        Set<ObjectKey> services = new HashSet<>();
        int endpoints = 0;
        for (int i = 0; i < families.size(); i++) {
            Map<PortKey, NftTableModel.Fragment> fs = fragments.get(i);
            Map<ObjectKey, List<PortKey>> ports = new LinkedHashMap<>();
            for (Map.Entry<PortKey, NftTableModel.Fragment> e : fs.entrySet()) {
                ports.computeIfAbsent(serviceOf(e.getKey()), s -> new ArrayList<>()).add(e.getKey());
                endpoints += endpointChains(e.getValue());
            }
            services.addAll(ports.keySet());
            ports.replaceAll((s, l) -> List.copyOf(l));
            tables.add(new Family(families.get(i), NftTableModel.of(bases.get(i), fs), ShardedMap.copyOf(ports)));
        }
        return new NftablesModel(node, options, families, tables, services.size(), endpoints);
    }

    /**
     * This model with every fragment of {@code services} replaced by {@code replacements} (per
     * family, all of those Services' ports now; none for a Service that went or is ignored).
     */
    NftablesModel with(Set<ObjectKey> services, List<Map<PortKey, NftTableModel.Fragment>> replacements) {
        List<Family> next = new ArrayList<>();
        int endpoints = endpointCount;
        Set<ObjectKey> hadAny = new HashSet<>();
        Set<ObjectKey> hasAny = new HashSet<>();
        for (int i = 0; i < tables.size(); i++) {
            Family f = tables.get(i);
            Map<PortKey, NftTableModel.Fragment> add = replacements.get(i);
            List<PortKey> remove = new ArrayList<>();
            ShardedMap.Editor<ObjectKey, List<PortKey>> ports = f.ports().edit();
            for (ObjectKey s : services) {
                List<PortKey> old = ports.remove(s);
                if (old != null) {
                    hadAny.add(s);
                    for (PortKey k : old) {
                        remove.add(k);
                        endpoints -= endpointChains(f.table().fragment(k));
                    }
                }
            }
            Map<ObjectKey, List<PortKey>> added = new LinkedHashMap<>();
            for (Map.Entry<PortKey, NftTableModel.Fragment> e : add.entrySet()) {
                ObjectKey s = serviceOf(e.getKey());
                if (!services.contains(s)) {
                    throw new IllegalArgumentException("fragment " + e.getKey() + " is not of a changed Service " + services);
                }
                added.computeIfAbsent(s, x -> new ArrayList<>()).add(e.getKey());
                endpoints += endpointChains(e.getValue());
            }
            added.forEach((s, l) -> ports.put(s, List.copyOf(l)));
            hasAny.addAll(added.keySet());
            next.add(new Family(f.family(), f.table().with(remove, add), ports.build()));
        }
        return new NftablesModel(node, options, families, next, serviceCount - hadAny.size() + hasAny.size(), endpoints);
    }

    private static ObjectKey serviceOf(PortKey k) {
        return ObjectKey.service(k.name().namespace(), k.name().name());
    }

    private static int endpointChains(NftTableModel.Fragment f) {
        int n = 0;
        for (var c : f.chains()) {
            if (c.name().startsWith(NftablesChainNames.ENDPOINT_PREFIX)) {
                n++;
            }
        }
        return n;
    }

    /** Whether this model was rendered for this node, these options and families (else it cannot be patched). */
    boolean renderedFor(NodeContext node, RenderOptions options, List<IpFamily> families) {
        return this.node.equals(node) && this.options.equals(options) && this.families.equals(families);
    }

    /** One table model per family, in the order of the text. */
    public List<NftTableModel<?>> tables() {
        List<NftTableModel<?>> out = new ArrayList<>();
        tables.forEach(f -> out.add(f.table()));
        return out;
    }

    NftTableModel<PortKey> table(int i) {
        return tables.get(i).table();
    }

    /** Services with at least one port programmed, in any family. */
    public int serviceCount() {
        return serviceCount;
    }

    /** Endpoint chains, in all families. */
    public int endpointCount() {
        return endpointCount;
    }

    /** Every chain as {@code family sluice/chain}. */
    public Set<String> qualifiedChains() {
        Set<String> out = new HashSet<>();
        tables.forEach(f -> out.addAll(f.table().qualifiedChains()));
        return out;
    }

    /** The {@code nft -f} text: every table's, separated by a blank line (as {@code NftScript.toText}). */
    public String text() {
        if (tables.size() == 1) {
            return tables.get(0).table().toText();
        }
        StringBuilder out = new StringBuilder();
        for (Family f : tables) {
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(f.table().toText());
        }
        return out.toString();
    }

    /**
     * {@code nft-fnv64:<hex>}: an order-independent hash of every table's chains, sets and elements
     * ({@link NftTableModel#fingerprintHash()}); after a change only that change is hashed again.
     */
    public String fingerprint() {
        String f = fingerprint;
        if (f == null) {
            long sum = 0;
            for (Family t : tables) {
                sum += t.table().fingerprintHash();
            }
            f = String.format("nft-fnv64:%016x", sum);
            fingerprint = f;
        }
        return f;
    }

    @Override
    public String toString() {
        return "NftablesModel[" + families + ", " + serviceCount + " Services, " + endpointCount + " endpoint chains]";
    }
}
