package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.IpsetContent;
import io.sluice.schema.model.IpFamily;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link IpsetDiff} and {@link BoundAddresses}: only the difference, in the tools' syntax. */
class IpsetDiffTest {
    /** Real {@code ipset save} output of this machine's kernel (ipset v7.17), kernel parameters included. */
    static final String SAVE = """
            create SLUICE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x1e7ce437
            add SLUICE-CLUSTER-IP 10.96.0.10,tcp:80
            add SLUICE-CLUSTER-IP 10.96.0.11,sctp:80
            create SLUICE-NODE-PORT-TCP bitmap:port range 0-65535
            add SLUICE-NODE-PORT-TCP 30080
            create KUBE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x7a242c27
            add KUBE-CLUSTER-IP 10.96.0.10,tcp:80
            """;

    static IpsetContent desired(String... clusterIps) {
        IpsetContent.Builder b = IpsetContent.builder()
                .declare("create SLUICE-CLUSTER-IP hash:ip,port family inet hashsize 1024 maxelem 65536")
                .declare("create SLUICE-NODE-PORT-TCP bitmap:port range 0-65535")
                .declare("create SLUICE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536");
        for (String e : clusterIps) {
            b.add("SLUICE-CLUSTER-IP", e);
        }
        return b.add("SLUICE-NODE-PORT-TCP", "30080").build();
    }

    @Test
    void sendsMissingSetsAndChangedMembersOnly() throws Exception {
        String input = IpsetDiff.restoreInput(IpsetContent.parse(SAVE), desired("10.96.0.10,tcp:80", "10.96.0.12,udp:53"));
        assertThat(input).isEqualTo("""
                add SLUICE-CLUSTER-IP 10.96.0.12,udp:53
                del SLUICE-CLUSTER-IP 10.96.0.11,sctp:80
                create SLUICE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem 65536
                """);
    }

    @Test
    void nothingToDoGivesNoInput() throws Exception {
        IpsetContent want = desired("10.96.0.10,tcp:80", "10.96.0.11,sctp:80");
        IpsetContent have = IpsetContent.parse(SAVE + "create SLUICE-IPVS-IPS hash:ip family inet hashsize 1024 maxelem"
                + " 65536 bucketsize 12 initval 0x1\n");
        assertThat(IpsetDiff.restoreInput(have, want)).isEmpty();
        assertThat(have.only(List.of("SLUICE-CLUSTER-IP", "SLUICE-NODE-PORT-TCP", "SLUICE-IPVS-IPS"))).isEqualTo(want);
    }

    @Test
    void aSetOfAnotherTypeOrFamilyIsRefusedByName() {
        IpsetContent v6 = IpsetContent.parse("create SLUICE-CLUSTER-IP hash:ip,port family inet6 hashsize 1024 maxelem 65536\n");
        assertThatThrownBy(() -> IpsetDiff.restoreInput(v6, desired()))
                .hasMessage("set SLUICE-CLUSTER-IP exists as hash:ip,port family inet6, Sluice needs hash:ip,port family inet;"
                        + " 'sluice cleanup --mode ipvs' removes it");
    }

    @Test
    void boundAddressesAreReadPerFamilyAndChangedByBatch() {
        String ipOAddr = """
                9: sluice-ipvs0    inet 10.96.0.10/32 scope global sluice-ipvs0\\       valid_lft forever preferred_lft forever
                9: sluice-ipvs0    inet 10.96.0.11/32 scope global sluice-ipvs0\\       valid_lft forever preferred_lft forever
                9: sluice-ipvs0    inet6 fd00:0:0::10/128 scope global \\       valid_lft forever preferred_lft forever
                """;
        List<String> v4 = BoundAddresses.parse(ipOAddr, IpFamily.IPV4);
        assertThat(v4).containsExactly("10.96.0.10", "10.96.0.11");
        assertThat(BoundAddresses.parse(ipOAddr, IpFamily.IPV6)).containsExactly("fd00::10");
        List<String> want = List.of("10.96.0.11", "10.96.0.12");
        assertThat(BoundAddresses.additions(v4, want, "sluice-ipvs0"))
                .containsExactly("address add 10.96.0.12/32 dev sluice-ipvs0");
        assertThat(BoundAddresses.removals(v4, want, "sluice-ipvs0"))
                .containsExactly("address del 10.96.0.10/32 dev sluice-ipvs0");
        assertThat(BoundAddresses.additions(List.of(), List.of("fd00::10"), "d")).containsExactly("address add fd00::10/128 dev d");
    }
}
