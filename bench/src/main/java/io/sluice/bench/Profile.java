package io.sluice.bench;

import java.nio.file.Path;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * A JFR recording (settings "profile") around one timed section, when the benchmark is given
 * {@code --jfr FILE}; summarise it with {@code bench/jfr-top FILE}.
 */
public final class Profile implements AutoCloseable {
    private final Recording recording;
    private final Path file;

    private Profile(Recording recording, Path file) {
        this.recording = recording;
        this.file = file;
    }

    /** Starts a recording if {@code file} is non-null; close() writes it. */
    public static Profile start(String file) throws Exception {
        if (file == null) {
            return new Profile(null, null);
        }
        Recording r = new Recording(Configuration.getConfiguration("profile"));
        r.setToDisk(true);
        r.start();
        return new Profile(r, Path.of(file));
    }

    @Override
    public void close() throws Exception {
        if (recording != null) {
            recording.stop();
            recording.dump(file);
            recording.close();
            System.out.println("JFR recording of the timed section: " + file + " (bench/jfr-top " + file + ")");
        }
    }
}
