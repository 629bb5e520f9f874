package io.sluice.applier.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.applier.render.IpvsTable.RealServer;
import io.sluice.applier.render.IpvsTable.VirtualServer;
import io.sluice.schema.model.IpFamily;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link IpvsTable} reads {@code ipvsadm -S -n} output as ipvsadm 1.31 writes it (print_service_entry
 * in ipvsadm.c: {@code -A <svc> -s <sched> [-p <t> [-M <mask>]] [--pe <e>] [-o] [-b <flags>]},
 * {@code -a <svc> -r <addr> -m|-g|-i -w <weight>}) and writes the same syntax. {@link IpvsAddresses}
 * writes addresses as the tools print them.
 */
class IpvsTableTest {
    static final String SAVE = """
            -A -t 10.96.0.10:80 -s rr
            -a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1
            -a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 0
            -A -u 10.96.0.53:53 -s rr -p 10800
            -a -u 10.96.0.53:53 -r 10.244.1.9:53 -m -w 1
            -A --sctp-service 10.96.0.60:9999 -s mh -p 600 -b mh-port
            -A -t [fd00:30::41]:80 -s rr -p 300 -M 64
            -a -t [fd00:30::41]:80 -r [fd00:244:1::2]:8080 -m -w 1
            -A -t 192.0.2.1:443 -s wlc -p 60 -M 255.255.255.0 --pe sip -o
            -a -t 192.0.2.1:443 -r 198.51.100.7:443 -i -w 3 --tun-type gue --tun-port 6080
            -A -f 100 -s rr
            -A -f 101 -6 -s rr
            -a -f 101 -6 -r [fd00::1]:0 -g -w 1
            """;

    @Test
    void readsWhatIpvsadmSavePrintsAndWritesItBack() {
        IpvsTable t = IpvsTable.parse(SAVE);
        assertThat(t.services()).hasSize(7);
        assertThat(t.services().get("-t 10.96.0.10:80").realServers().values()).containsExactly(
                RealServer.masquerade("10.244.1.2", 8080, 1), RealServer.masquerade("10.244.2.3", 8080, 0));
        assertThat(t.services().get("-u 10.96.0.53:53").virtualServer())
                .isEqualTo(VirtualServer.of("udp", "10.96.0.53", 53, "rr", 10800, ""));
        assertThat(t.services().get("--sctp-service 10.96.0.60:9999").virtualServer().schedulerFlags()).isEqualTo("mh-port");
        assertThat(t.services().get("-t [fd00:30::41]:80").virtualServer().extra()).isEqualTo("-M 64");
        assertThat(t.services().get("-t 192.0.2.1:443").realServers().get("198.51.100.7:443").extra())
                .isEqualTo("--tun-type gue --tun-port 6080");
        assertThat(t.services().get("-f 101 -6").virtualServer().family()).isEqualTo(IpFamily.IPV6);
        assertThat(t.render()).isEqualTo(SAVE);
        assertThat(t.ofFamily(IpFamily.IPV6).services()).containsOnlyKeys("-t [fd00:30::41]:80", "-f 101 -6");
        assertThat(t.realServerCount()).isEqualTo(6);
    }

    @Test
    void skipsALeadingIpvsadmWordAndKeepsCommentsAsNames() {
        IpvsTable t = IpvsTable.parse("# ns/web:http cluster IP\nipvsadm -A -t 10.96.0.10:80 -s rr\n\n"
                + "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1 # trailing\n");
        assertThat(t.services().get("-t 10.96.0.10:80").comment()).isEqualTo("ns/web:http cluster IP");
        assertThat(t.render()).startsWith("# ns/web:http cluster IP\n-A -t 10.96.0.10:80 -s rr\n");
        assertThat(t).isEqualTo(IpvsTable.parse("-A -t 10.96.0.10:80 -s rr\n-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1\n"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-E -t 10.96.0.10:80 -s rr|command -E is not -A or -a",
            "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m|before its -A line",
            "-A -x 10.96.0.10:80|unknown service type -x",
            "-A -t 10.96.0.10|is not address:port",
            "-A -t 10.96.0.10:80 -s rr --frobnicate|unknown virtual server option --frobnicate"})
    void refusesWhatItCannotRead(String line, String message) {
        assertThatThrownBy(() -> IpvsTable.parse(line)).hasMessageContaining("ipvsadm line 1").hasMessageContaining(message);
    }

    @Test
    void refusesTheSameVirtualServerTwice() {
        assertThatThrownBy(() -> IpvsTable.parse("-A -t 10.96.0.10:80 -s rr\n-A -t 10.96.0.10:80 -s wrr\n"))
                .hasMessageContaining("virtual server -t 10.96.0.10:80 added twice");
    }

    @ParameterizedTest
    @CsvSource({
            "2001:DB8:0:0:0:0:0:1,2001:db8::1",
            "fd00:0:0:1::0,fd00:0:0:1::",
            "0:0:0:0:0:0:0:1,::1",
            "2001:db8:0:1:0:0:1:1,2001:db8:0:1::1:1",
            "2001:db8:1:1:1:1:1:0,2001:db8:1:1:1:1:1:0",
            "::c000:201,::192.0.2.1",
            "10.96.0.1,10.96.0.1"})
    void writesAddressesLikeTheKernelTools(String in, String out) {
        assertThat(IpvsAddresses.canonical(in)).isEqualTo(out);
    }

    @ParameterizedTest
    @CsvSource({
            "203.0.113.77/24,203.0.113.0/24",
            "198.51.100.7/32,198.51.100.7",
            "0.0.0.0/0,0.0.0.0/0",
            "2001:db8:1::5/48,2001:db8:1::/48",
            "2001:db8::1/128,2001:db8::1",
            "10.255.255.255/9,10.128.0.0/9"})
    void writesNetworksLikeIpsetSave(String in, String out) {
        assertThat(IpvsAddresses.canonicalNet(in)).isEqualTo(out);
    }

    @Test
    void knowsLoopbackAndContainment() {
        assertThat(IpvsAddresses.isLoopback("127.0.0.53")).isTrue();
        assertThat(IpvsAddresses.isLoopback("::1")).isTrue();
        assertThat(IpvsAddresses.isLoopback("::2")).isFalse();
        assertThat(IpvsAddresses.contains("192.168.0.0/24", "192.168.0.1")).isTrue();
        assertThat(IpvsAddresses.contains("192.168.0.0/24", "fd00::1")).isFalse();
        assertThat(IpvsAddresses.hostPort("fd00::1", 80)).isEqualTo("[fd00::1]:80");
        assertThatThrownBy(() -> IpvsAddresses.canonical("example.com")).hasMessageContaining("not an IP address");
    }
}
