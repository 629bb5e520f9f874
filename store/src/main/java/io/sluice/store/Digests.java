package io.sluice.store;

import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.store.image.ClusterImage;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Digests that let the checker compare nodes: equal digests mean equal state (or equal rules).
 *
 * <p>The state digest is SHA-256 over a canonical, self-delimiting encoding of every object in key
 * order. The encoding walks the domain records' components reflectively (declaration order, each
 * with its name and a type tag; strings, lists and maps length-prefixed), so it is injective where
 * {@code toString()} is not (a list {@code ["a, b"]} and {@code ["a", "b"]} print alike), it needs
 * no change when a field is added, and a component of a type it does not know fails loudly rather
 * than being hashed by {@code toString()}. It depends on nothing JVM-specific: equal images give
 * equal digests on every node. The image's seq is not part of it: two nodes at different seqs with
 * the same objects hold the same state.
 */
public final class Digests {
    private static final HexFormat HEX = HexFormat.of();
    private static final ClassValue<List<Method>> ACCESSORS = new ClassValue<>() {
        @Override
        protected List<Method> computeValue(Class<?> type) {
            return java.util.Arrays.stream(type.getRecordComponents()).map(RecordComponent::getAccessor).toList();
        }
    };

    private Digests() {
    }

    /** SHA-256 (lowercase hex) of every object of the image, in key order; independent of seq. */
    public static String stateDigest(ClusterImage image) {
        MessageDigest sha = sha256();
        try (DataOutputStream out = new DataOutputStream(
                new BufferedOutputStream(new DigestOutputStream(OutputStream.nullOutputStream(), sha), 1 << 16))) {
            out.writeUTF("sluice-state-v1");
            out.writeInt(image.size());
            for (Map.Entry<ObjectKey, Resource> e : image.objects().entrySet()) {
                writeString(out, e.getKey().toString());
                writeValue(out, e.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("digesting " + image, e); // cannot happen: the sink is in memory
        }
        return HEX.formatHex(sha.digest()); // after close(): the buffer is flushed into sha
    }

    /** SHA-256 (lowercase hex) of the UTF-8 bytes of a rendered rule set, exactly as given. */
    public static String ruleDigest(String ruleText) {
        return HEX.formatHex(sha256().digest(ruleText.getBytes(StandardCharsets.UTF_8)));
    }

    private static void writeValue(DataOutputStream out, Object v) throws IOException {
        if (v == null) {
            out.writeByte('N');
        } else if (v instanceof String s) {
            out.writeByte('S');
            writeString(out, s);
        } else if (v instanceof Integer i) {
            out.writeByte('I');
            out.writeInt(i);
        } else if (v instanceof Long l) {
            out.writeByte('J');
            out.writeLong(l);
        } else if (v instanceof Boolean b) {
            out.writeByte('Z');
            out.writeBoolean(b);
        } else if (v instanceof Enum<?> e) {
            out.writeByte('E');
            writeString(out, e.name());
        } else if (v instanceof List<?> list) {
            out.writeByte('L');
            out.writeInt(list.size());
            for (Object o : list) {
                writeValue(out, o);
            }
        } else if (v instanceof Map<?, ?> map) {
            writeMap(out, map);
        } else if (v instanceof Record r) {
            writeRecord(out, r);
        } else {
            throw new IllegalArgumentException("no canonical encoding for " + v.getClass().getName() + " value '" + v
                    + "'; add one to Digests before using the type in a domain record");
        }
    }

    private static void writeMap(DataOutputStream out, Map<?, ?> map) throws IOException {
        out.writeByte('M');
        out.writeInt(map.size());
        // Sort whatever map we were given, so the encoding never depends on its iteration order.
        for (Map.Entry<?, ?> e : new TreeMap<>(map).entrySet()) {
            writeValue(out, e.getKey());
            writeValue(out, e.getValue());
        }
    }

    private static void writeRecord(DataOutputStream out, Record r) throws IOException {
        List<Method> accessors = ACCESSORS.get(r.getClass());
        out.writeByte('R');
        writeString(out, r.getClass().getSimpleName());
        out.writeInt(accessors.size());
        for (Method m : accessors) {
            writeString(out, m.getName());
            writeValue(out, read(m, r));
        }
    }

    private static Object read(Method accessor, Record r) {
        try {
            return accessor.invoke(r);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read " + r.getClass().getSimpleName() + "." + accessor.getName(), e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }
}
