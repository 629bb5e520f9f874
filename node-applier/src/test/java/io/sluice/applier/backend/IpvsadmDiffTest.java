package io.sluice.applier.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.render.IpvsTable;
import io.sluice.schema.model.IpFamily;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link IpvsadmDiff}, table-driven: kernel state (as ipvsadm -S -n prints it), rendered table, expected commands. */
class IpvsadmDiffTest {
    record Case(String name, String kernel, String desired, List<String> commands) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        String web = """
                -A -t 10.96.0.10:80 -s rr
                -a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1
                -a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 1
                """;
        return Stream.of(
                new Case("empty kernel: add everything", "", web, List.of(
                        "-A -t 10.96.0.10:80 -s rr",
                        "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1",
                        "-a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 1")),
                new Case("identical: nothing", web, web, List.of()),
                new Case("identical but listed in another order and with comments: nothing",
                        "-A -t 10.96.0.10:80 -s rr\n-a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 1\n"
                                + "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1\n",
                        "# ns/web:http cluster IP\n" + web, List.of()),
                new Case("endpoint replaced: add first, delete last", web, """
                        -A -t 10.96.0.10:80 -s rr
                        -a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 1
                        -a -t 10.96.0.10:80 -r 10.244.3.4:8080 -m -w 1
                        """, List.of(
                        "-a -t 10.96.0.10:80 -r 10.244.3.4:8080 -m -w 1",
                        "-d -t 10.96.0.10:80 -r 10.244.1.2:8080")),
                new Case("endpoint starts terminating: re-weighted, not deleted", web, """
                        -A -t 10.96.0.10:80 -s rr
                        -a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 0
                        -a -t 10.96.0.10:80 -r 10.244.2.3:8080 -m -w 1
                        """, List.of("-e -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 0")),
                new Case("session affinity switched on: edited in place", web,
                        web.replace("-s rr\n", "-s rr -p 10800\n"), List.of("-E -t 10.96.0.10:80 -s rr -p 10800")),
                new Case("netmask set by someone else: edited back", web.replace("-s rr\n", "-s rr -p 300 -M 255.255.255.0\n"),
                        web.replace("-s rr\n", "-s rr -p 300\n"), List.of("-E -t 10.96.0.10:80 -s rr -p 300")),
                new Case("real server switched to direct routing by someone else: edited back",
                        web.replace("10.244.1.2:8080 -m", "10.244.1.2:8080 -g"), web,
                        List.of("-e -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1")),
                new Case("service gone: one delete takes its real servers", web + "-A -u 10.96.0.53:53 -s rr\n"
                        + "-a -u 10.96.0.53:53 -r 10.244.1.9:53 -m -w 1\n", web, List.of("-D -u 10.96.0.53:53")),
                new Case("other family and fwmark services untouched", web
                        + "-A -t [fd00::10]:80 -s rr\n-A -f 100 -s rr\n-A -f 101 -6 -s rr\n", "", List.of(
                        "-D -t 10.96.0.10:80")),
                new Case("excluded CIDR kept", web + "-A -t 10.200.1.1:443 -s wlc\n", web, List.of()),
                new Case("sctp and udp keyed apart from tcp on the same address and port", """
                        -A -t 10.96.0.20:5000 -s rr
                        """, """
                        -A -t 10.96.0.20:5000 -s rr
                        -A -u 10.96.0.20:5000 -s rr
                        -A --sctp-service 10.96.0.20:5000 -s rr
                        """, List.of("-A -u 10.96.0.20:5000 -s rr", "-A --sctp-service 10.96.0.20:5000 -s rr")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void commandsTurnTheKernelStateIntoTheRenderedOne(Case c) {
        IpvsTable kernel = IpvsTable.parse(c.kernel());
        IpvsTable desired = IpvsTable.parse(c.desired());
        List<String> commands = IpvsadmDiff.commands(kernel, desired, IpFamily.IPV4,
                a -> a.startsWith("10.200."));
        assertThat(commands).containsExactlyElementsOf(c.commands());
        // and applying them leaves nothing to do (checked on the fake kernel's interpreter)
        FakeIpvsKernel k = new FakeIpvsKernel();
        IpvsTable.parse(c.kernel()).services().values().forEach(s -> {
            k.command(s.virtualServer().addLine());
            s.realServers().values().forEach(r -> k.command(r.addLine(s.virtualServer())));
        });
        commands.forEach(k::command);
        assertThat(IpvsadmDiff.commands(k.table(), desired, IpFamily.IPV4, a -> a.startsWith("10.200."))).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ipv6BackendLeavesIpv4Alone(Case c) {
        IpvsTable kernel = IpvsTable.parse(c.kernel());
        assertThat(IpvsadmDiff.commands(kernel, IpvsTable.empty(), IpFamily.IPV6, a -> false))
                .allMatch(cmd -> cmd.contains("[") || cmd.isEmpty());
    }
}
