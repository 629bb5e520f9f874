package io.sluice.schema.model;

/** Enumerations whose wire form is the Kubernetes spelling ("ClusterIP", "TCP", ...). */
public interface WireEnum {
    String wireName();

    /** Parses the Kubernetes spelling; the error names the field, the bad value and the allowed ones. */
    static <E extends Enum<E> & WireEnum> E parse(Class<E> type, String field, String value) {
        StringBuilder allowed = new StringBuilder();
        for (E e : type.getEnumConstants()) {
            if (e.wireName().equals(value)) {
                return e;
            }
            allowed.append(allowed.length() == 0 ? "" : ", ").append(e.wireName());
        }
        throw new IllegalArgumentException(field + ": unknown value '" + value + "' (expected one of " + allowed + ")");
    }
}
