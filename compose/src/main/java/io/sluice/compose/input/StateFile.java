package io.sluice.compose.input;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.sluice.schema.model.ChangeEvent;
import io.sluice.schema.model.ObjectKey;
import io.sluice.schema.model.Resource;
import io.sluice.schema.validate.Validator;
import io.sluice.schema.validate.Violation;
import io.sluice.store.image.ClusterImage;
import io.sluice.store.image.ImageDelta;
import io.sluice.watcher.Normalizer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * A cluster's state from a file of ordinary Kubernetes YAML, as {@code kubectl get -o yaml} prints
 * it: Services, discovery.k8s.io/v1 EndpointSlices and Nodes, as several documents, a
 * {@code kind: List} or typed lists ({@code ServiceList}, …) with {@code items}. Each object goes
 * the watcher's way: fabric8 object → {@link Normalizer} → {@link Validator} → {@link ClusterImage},
 * so what a file renders to is what the same objects in the API would render to.
 *
 * <p>Every problem is collected and reported together, each naming {@code file:line}, the object
 * ({@code Kind/namespace/name}), the field and the value. Objects of other kinds (Pods, Endpoints…)
 * are skipped with a note; so are EndpointSlices without the kubernetes.io/service-name label, which
 * kube-proxy ignores. An object without a namespace is in {@code default}, as kubectl reads files.
 */
public final class StateFile {
    /** Where the events built from a file claim to come from; never leaves the process. */
    static final String CLUSTER = "file";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Service", io.fabric8.kubernetes.api.model.Service.class,
            "discovery.k8s.io/v1/EndpointSlice", io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class,
            "v1/Node", io.fabric8.kubernetes.api.model.Node.class);

    /**
     * @param image   every object of the file, replayed in file order (seq 1, 2, …)
     * @param sources where each object was defined, {@code file:line}
     * @param notes   objects skipped and why, one line each
     */
    public record Loaded(ClusterImage image, Map<ObjectKey, String> sources, List<String> notes) {
        public Loaded {
            sources = Map.copyOf(sources);
            notes = List.copyOf(notes);
        }
    }

    private final List<String> problems = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final Map<ObjectKey, Resource> objects = new LinkedHashMap<>();
    private final Map<ObjectKey, String> sources = new LinkedHashMap<>();

    private StateFile() {
    }

    /** Reads, normalises and validates every object of {@code file}; throws with every problem found. */
    public static Loaded load(Path file) throws InputException {
        StateFile s = new StateFile();
        for (YamlFile.Document doc : YamlFile.read(file)) {
            s.document(doc);
        }
        if (!s.problems.isEmpty()) {
            throw new InputException(s.problems);
        }
        ImageDelta delta = ClusterImage.empty().delta();
        long seq = 0;
        for (Resource r : s.objects.values()) {
            delta.replay(ChangeEvent.upsert(CLUSTER, ++seq, r, Instant.EPOCH, ""));
        }
        return new Loaded(delta.apply(), s.sources, s.notes);
    }

    private void document(YamlFile.Document doc) {
        JsonNode root = doc.root();
        if (!root.isObject()) {
            problems.add(doc.where("") + ": expected a Kubernetes object (a mapping with apiVersion and kind), got a "
                    + root.getNodeType().toString().toLowerCase());
            return;
        }
        String kind = text(root, "kind");
        String apiVersion = text(root, "apiVersion");
        if (root.has("items") && (kind.equals("List") || kind.endsWith("List"))) {
            list(doc, apiVersion, kind);
        } else {
            object(doc, apiVersion, kind);
        }
    }

    /** {@code kind: List} items carry their own apiVersion and kind; a typed list's items may not. */
    private void list(YamlFile.Document doc, String apiVersion, String kind) {
        JsonNode items = doc.root().get("items");
        if (items.isNull()) {
            return;
        }
        if (!items.isArray()) {
            problems.add(doc.where("/items") + ": " + kind + " items: expected a list");
            return;
        }
        String itemKind = kind.equals("List") ? "" : kind.substring(0, kind.length() - "List".length());
        for (int i = 0; i < items.size(); i++) {
            YamlFile.Document item = doc.at("/items/" + i);
            if (!item.root().isObject()) {
                problems.add(item.where("") + ": " + kind + " items[" + i + "]: expected a Kubernetes object");
                continue;
            }
            String k = text(item.root(), "kind");
            String v = text(item.root(), "apiVersion");
            object(item, v.isEmpty() ? apiVersion : v, k.isEmpty() ? itemKind : k);
        }
    }

    private void object(YamlFile.Document doc, String apiVersion, String kind) {
        String where = doc.where("");
        if (kind.isEmpty() || apiVersion.isEmpty()) {
            problems.add(where + ": object has no " + (kind.isEmpty() ? "kind" : "apiVersion")
                    + " (expected e.g. apiVersion: v1, kind: Service)");
            return;
        }
        String name = describe(kind, doc.root());
        Class<? extends HasMetadata> type = KINDS.get(apiVersion + "/" + kind);
        if (type == null) {
            notes.add(where + ": skipped " + apiVersion + " " + name + ": " + whySkipped(apiVersion, kind));
            return;
        }
        HasMetadata object;
        try {
            object = SERIALIZATION.convertValue(doc.root(), type);
        } catch (JacksonException | IllegalArgumentException e) {
            problems.add(fieldError(doc, name, e));
            return;
        }
        if (object.getMetadata() == null || object.getMetadata().getName() == null || object.getMetadata().getName().isBlank()) {
            problems.add(where + ": " + kind + " without metadata.name");
            return;
        }
        if (!(object instanceof io.fabric8.kubernetes.api.model.Node) && object.getMetadata().getNamespace() == null) {
            object.getMetadata().setNamespace("default");
        }
        normalise(doc, object);
    }

    private void normalise(YamlFile.Document doc, HasMetadata object) {
        ObjectKey key = Normalizer.key(object);
        Optional<Resource> resource;
        try {
            resource = Normalizer.normalize(object);
        } catch (IllegalArgumentException e) {
            problems.add(doc.where(pointerIn(e.getMessage())) + ": " + e.getMessage());
            return;
        }
        if (resource.isEmpty()) {
            notes.add(doc.where("") + ": skipped " + key + ": it has no " + Normalizer.SERVICE_NAME_LABEL
                    + " label, so no Service owns it (kube-proxy ignores it too)");
            return;
        }
        List<Violation> violations = Validator.validate(resource.get());
        for (Violation v : violations) {
            problems.add(doc.where(pointer(v.field())) + ": " + key + " is invalid: " + v);
        }
        if (!violations.isEmpty()) {
            return;
        }
        String previous = sources.putIfAbsent(key, doc.where(""));
        if (previous != null) {
            problems.add(doc.where("") + ": " + key + " is defined twice (first at " + previous + ")");
            return;
        }
        objects.put(key, resource.get());
    }

    private static String whySkipped(String apiVersion, String kind) {
        if (kind.equals("Endpoints")) {
            return "Sluice, like kube-proxy, reads EndpointSlices, not Endpoints";
        }
        if (kind.equals("EndpointSlice")) {
            return "only discovery.k8s.io/v1 EndpointSlices are read (as kube-proxy does)";
        }
        return "Sluice reads only Services, EndpointSlices (discovery.k8s.io/v1) and Nodes";
    }

    /** "Service default/web" from the raw tree, for messages about objects that do not convert. */
    private static String describe(String kind, JsonNode root) {
        JsonNode m = root.path("metadata");
        String ns = m.path("namespace").asString("");
        String name = m.path("name").asString("");
        return kind + " " + (ns.isEmpty() ? "" : ns + "/") + (name.isEmpty() ? "<no name>" : name);
    }

    /** A field of the wrong type: the path Jackson reports, the value, and the line of that field. */
    private static String fieldError(YamlFile.Document doc, String name, Exception thrown) {
        Throwable e = thrown;
        while (!(e instanceof JacksonException) && e.getCause() != null && e.getCause() != e) {
            e = e.getCause(); // fabric8 wraps Jackson's exception, which has the path
        }
        StringBuilder field = new StringBuilder();
        StringBuilder pointer = new StringBuilder();
        if (e instanceof JacksonException je) {
            for (JacksonException.Reference r : je.getPath()) {
                if (r.getPropertyName() != null) {
                    field.append(field.length() == 0 ? "" : ".").append(r.getPropertyName());
                    pointer.append('/').append(YamlFile.escape(r.getPropertyName()));
                } else if (r.getIndex() >= 0) {
                    field.append('[').append(r.getIndex()).append(']');
                    pointer.append('/').append(r.getIndex());
                }
            }
        }
        JsonNode value = doc.root().at(pointer.toString());
        String message = e instanceof JacksonException je && je.getOriginalMessage() != null ? je.getOriginalMessage() : e.getMessage();
        boolean scalar = value.isValueNode();
        return doc.where(pointer.toString()) + ": " + name + ": " + (field.length() == 0 ? "" : "field " + field + ": ")
                + (scalar ? "value '" + value.asString(value.toString()) + "' " : "")
                + "cannot be read: " + firstLine(message);
    }

    /** The field named first in a Normalizer message ("Service/ns/n spec.type: unknown value …"). */
    private static String pointerIn(String message) {
        String[] words = message.split(" ");
        return words.length > 1 ? pointer(words[1].replaceAll(":$", "")) : "";
    }

    /** "spec.ports[0].port" → "/spec/ports/0/port"; "metadata.labels[a/b]" → "/metadata/labels/a~1b". */
    static String pointer(String field) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < field.length()) {
            char c = field.charAt(i);
            if (c == '.') {
                i++;
            } else if (c == '[') {
                int end = field.indexOf(']', i);
                if (end < 0) {
                    break;
                }
                out.append('/').append(YamlFile.escape(field.substring(i + 1, end)));
                i = end + 1;
            } else {
                int end = i;
                while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') {
                    end++;
                }
                out.append('/').append(YamlFile.escape(field.substring(i, end)));
                i = end;
            }
        }
        return out.toString();
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || !v.isString() ? "" : v.stringValue().strip();
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse(s).strip();
    }
}
