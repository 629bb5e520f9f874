package io.sluice.applier.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging with the applier's context on every line, as Strimzi carries its Reconciliation: each
 * message is prefixed {@code [node=<node> cluster=<cluster> seq=<seq>]}, seq being the one the
 * line is about (the image's, or the event's). Messages use SLF4J {@code {}} placeholders.
 */
public final class ApplierLog {
    private final Logger log;
    private final String node;
    private final String cluster;

    public ApplierLog(Class<?> owner, String node, String cluster) {
        this.log = LoggerFactory.getLogger(owner);
        this.node = node;
        this.cluster = cluster;
    }

    public ApplierLog forClass(Class<?> owner) {
        return new ApplierLog(owner, node, cluster);
    }

    /** The prefix, e.g. {@code [node=n1 cluster=c1 seq=42] }; "seq=?" when unknown (negative). */
    public String prefix(long seq) {
        return "[node=" + node + " cluster=" + cluster + " seq=" + (seq < 0 ? "?" : Long.toString(seq)) + "] ";
    }

    public void debug(long seq, String format, Object... args) {
        if (log.isDebugEnabled()) {
            log.debug(prefix(seq) + format, args);
        }
    }

    public void info(long seq, String format, Object... args) {
        if (log.isInfoEnabled()) {
            log.info(prefix(seq) + format, args);
        }
    }

    public void warn(long seq, String format, Object... args) {
        if (log.isWarnEnabled()) {
            log.warn(prefix(seq) + format, args);
        }
    }

    public void error(long seq, String format, Object... args) {
        if (log.isErrorEnabled()) {
            log.error(prefix(seq) + format, args);
        }
    }
}
