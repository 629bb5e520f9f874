package io.sluice.testkit.netns;

/**
 * A pod of a {@link Lab}: a network namespace with one routed interface.
 *
 * @param name the pod's name as given to {@link Lab#addPod}
 * @param namespace its network namespace, {@code <prefix>-<name>}
 * @param node the node it runs on, 1 or 2
 * @param ip its address, {@code 10.244.<node>.<n>}
 */
public record Pod(String name, String namespace, int node, String ip) {
}
