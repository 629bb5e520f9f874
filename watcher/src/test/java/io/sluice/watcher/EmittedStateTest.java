package io.sluice.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.Node;
import io.sluice.schema.model.NodeAddress;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Op;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmittedStateTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    private static Node node(String name, String ip) {
        return new Node(name, List.of(NodeAddress.internalIP(ip)), null, List.of());
    }

    @Test
    void assignsContiguousSeqOnlyToChanges() {
        EmittedState s = new EmittedState("c1");

        assertThat(s.upsert(node("a", "10.0.0.1"), T, "1", null)).map(ChangeEvent::seq).contains(1L);
        assertThat(s.upsert(node("a", "10.0.0.1"), T, "2", null)).isEmpty();
        assertThat(s.upsert(node("b", "10.0.0.2"), T, "3", null)).map(ChangeEvent::seq).contains(2L);
        assertThat(s.delete(ObjectKey.node("zz"), T, "4")).isEmpty();
        assertThat(s.delete(ObjectKey.node("a"), T, "5")).map(e -> e.seq() + " " + e.op()).contains("3 DELETE");
        assertThat(s.delete(ObjectKey.node("a"), T, "6")).isEmpty();
        assertThat(s.lastSeq()).isEqualTo(3);
        assertThat(s.keys()).containsExactly(ObjectKey.node("b"));
    }

    @Test
    void replayRebuildsStateAndContinuesTheSeq() {
        EmittedState s = new EmittedState("c1");
        s.replay(ChangeEvent.upsert("c1", 4, node("a", "10.0.0.1"), T, "1"));
        s.replay(ChangeEvent.upsert("c1", 7, node("b", "10.0.0.2"), T, "1"));
        s.replayTombstone(ObjectKey.node("b"), 9);

        assertThat(s.get(ObjectKey.node("a"))).contains(node("a", "10.0.0.1"));
        assertThat(s.get(ObjectKey.node("b"))).isEmpty();
        assertThat(s.upsert(node("a", "10.0.0.1"), T, "2", null)).isEmpty();
        assertThat(s.upsert(node("a", "10.0.0.3"), T, "2", null)).map(ChangeEvent::seq).contains(10L);
    }

    @Test
    void replayRefusesAnotherClustersEventsAndOutOfOrderSeqs() {
        EmittedState s = new EmittedState("c1");
        s.replay(ChangeEvent.upsert("c1", 5, node("a", "10.0.0.1"), T, "1"));

        assertThatThrownBy(() -> s.replay(ChangeEvent.upsert("c2", 6, node("a", "10.0.0.1"), T, "1")))
                .hasMessageContaining("cluster 'c2'").hasMessageContaining("'c1'");
        assertThatThrownBy(() -> s.replay(ChangeEvent.delete("c1", 5, ObjectKey.node("a"), T, "1")))
                .hasMessageContaining("seq=5").hasMessageContaining("follows seq=5");
        assertThat(s.delete(ObjectKey.node("a"), T, "2")).map(ChangeEvent::op).contains(Op.DELETE);
    }
}
