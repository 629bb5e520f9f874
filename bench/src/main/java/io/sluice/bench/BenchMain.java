package io.sluice.bench;

import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code bench/run NAME [options]}. Each benchmark prints details, then its result
 * as the last line: {@code NAME: <figure> (target <target>)}.
 */
public final class BenchMain {
    static final List<String> NAMES = List.of("one-change", "full-sync", "latency", "replay", "memory", "first-packet");

    private BenchMain() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0 || !NAMES.contains(argv[0])) {
            System.err.println("usage: bench/run NAME [--quick] [options]   NAME one of " + NAMES);
            System.exit(2);
        }
        // fabric8's mock server logs every request through java.util.logging.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
        Args a = new Args(Arrays.copyOfRange(argv, 1, argv.length));
        String result;
        int exit = 0;
        try {
            result = switch (argv[0]) {
                case "one-change" -> OneChange.run(a);
                case "replay" -> Replay.run(a);
                case "full-sync" -> FullSync.run(a);
                case "latency" -> Latency.run(a);
                case "memory" -> Memory.run(a);
                case "first-packet" -> FirstPacket.run(a);
                default -> throw new IllegalArgumentException(argv[0] + " is not written yet");
            };
        } catch (Exception | Error e) {
            e.printStackTrace();
            result = argv[0] + ": FAILED: " + e + " (see above)";
            exit = 1;
        } finally {
            Netns.deleteAll();
        }
        System.out.flush();
        System.out.println(result);
        System.exit(exit);
    }
}
