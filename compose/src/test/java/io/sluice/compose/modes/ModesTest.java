package io.sluice.compose.modes;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.applier.backend.IptablesJump;
import io.sluice.applier.backend.IpvsBackend;
import io.sluice.applier.render.IptablesRule;
import io.sluice.applier.render.RuleSet;
import io.sluice.compose.config.ProxyConfig;
import io.sluice.schema.model.IpFamily;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The one registry render, cleanup and the applier take modes from. */
class ModesTest {
    @Test
    void everyModeIsRegisteredForBothFamiliesWithABackend() {
        for (ProxyMode m : ProxyMode.values()) {
            for (IpFamily f : IpFamily.values()) {
                Modes.Support s = Modes.get(m, f);
                assertThat(s.backend()).as(s.describe()).isPresent();
                assertThat(s.tools()).as(s.describe()).isNotEmpty();
            }
        }
        assertThat(Modes.available()).isEqualTo("iptables (IPv4), iptables (IPv6), nftables (IPv4), nftables (IPv6), ipvs (IPv4), ipvs (IPv6)");
        assertThat(Modes.get(ProxyMode.IPTABLES, IpFamily.IPV6).tools()).contains("ip6tables-restore", "ip6tables-save");
    }

    @Test
    void theIpvsSectionBecomesTheIpvsBackendsSettings() {
        ProxyConfig.Ipvs ipvs = new ProxyConfig.Ipvs("lc", Duration.ofSeconds(30), Duration.ZERO, true, List.of("10.0.0.0/8"),
                Duration.ofSeconds(900), Duration.ofSeconds(120), Duration.ofSeconds(300));
        ProxyConfig c = new ProxyConfig(ProxyMode.IPVS, "", "0.0.0.0", List.of(), List.of(), ProxyConfig.defaults().healthzBindAddress(),
                ProxyConfig.defaults().metricsBindAddress(), ProxyConfig.Iptables.defaults(), ProxyConfig.Nftables.defaults(), ipvs,
                ProxyConfig.Conntrack.defaults(), java.util.Map.of());
        assertThat(Modes.ipvsSettings(c)).isEqualTo(new IpvsBackend.Settings(true, Duration.ofSeconds(900), Duration.ofSeconds(120),
                Duration.ofSeconds(300), List.of("10.0.0.0/8")));
    }

    @Test
    void iptablesInputDeclaresJumpTargetsAndAddsTablesTheRuleSetLacks() {
        IptablesJump toNat = new IptablesJump("nat", IptablesRule.append("PREROUTING").comment("portals").jump("SLUICE-SERVICES"));
        IptablesJump toFilter = new IptablesJump("filter", IptablesRule.append("INPUT").jump("SLUICE-FIREWALL"));
        RuleSet rules = new RuleSet("iptables", "*nat\n:SLUICE-SERVICES - [0:0]\n-A SLUICE-SERVICES -j RETURN\nCOMMIT\n",
                Set.of("nat/SLUICE-SERVICES"), 0, 0);
        String text = new IptablesToolInput("iptables", "iptables-restore", List.of(toNat, toFilter)).parts(rules, ProxyConfig.defaults())
                .get(0).text();
        assertThat(text).isEqualTo("*nat\n:SLUICE-SERVICES - [0:0]\n-A SLUICE-SERVICES -j RETURN\n"
                + "-I PREROUTING -m comment --comment \"portals\" -j SLUICE-SERVICES\nCOMMIT\n"
                + "*filter\n:SLUICE-FIREWALL - [0:0]\n-I INPUT -j SLUICE-FIREWALL\nCOMMIT\n");
    }
}
