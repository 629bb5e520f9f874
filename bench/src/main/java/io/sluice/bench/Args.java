package io.sluice.bench;

import java.util.HashMap;
import java.util.Map;

/** {@code --key value} and {@code --flag} arguments. */
public final class Args {
    private final Map<String, String> values = new HashMap<>();

    public Args(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "' (options are --key value or --flag)");
            }
            String key = a.substring(2);
            int eq = key.indexOf('=');
            if (eq > 0) {
                values.put(key.substring(0, eq), key.substring(eq + 1));
            } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
                values.put(key, args[++i]);
            } else {
                values.put(key, "true");
            }
        }
    }

    public boolean flag(String key) {
        return Boolean.parseBoolean(values.getOrDefault(key, "false"));
    }

    public int integer(String key, int dflt) {
        return values.containsKey(key) ? Integer.parseInt(values.get(key).replace("_", "").replace(",", "")) : dflt;
    }

    public String string(String key, String dflt) {
        return values.getOrDefault(key, dflt);
    }
}
