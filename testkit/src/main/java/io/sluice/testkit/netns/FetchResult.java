package io.sluice.testkit.netns;

/**
 * The outcome of one HTTP GET made with curl from inside a namespace.
 *
 * @param outcome how the request ended
 * @param body the response body when {@link Outcome#OK}, otherwise curl's error message
 */
public record FetchResult(Outcome outcome, String body) {

    /** How a request ended, from curl's exit code. */
    public enum Outcome {
        /** A response arrived (curl exit 0). */
        OK,
        /**
         * The connection was actively refused (curl exit 7): a TCP reset (nothing listening,
         * {@code REJECT --reject-with tcp-reset}) or an ICMP unreachable ({@code REJECT}'s default,
         * no route on a router on the way). The body holds curl's message, which tells which.
         */
        REFUSED,
        /** Nothing came back within the timeout (curl exit 28): a DROP, or a black hole. */
        TIMEOUT,
        /** Anything else; the body holds curl's exit code and message. */
        ERROR
    }

    public boolean ok() {
        return outcome == Outcome.OK;
    }
}
