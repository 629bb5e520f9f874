package io.sluice.schema.model;

/** The full state of one object Sluice follows. */
public sealed interface Resource permits Service, EndpointSlice, Node {
    ObjectKey key();
}
