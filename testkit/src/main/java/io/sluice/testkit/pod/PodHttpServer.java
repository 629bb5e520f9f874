package io.sluice.testkit.pod;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The workload of a lab pod: an HTTP server on {@code <port>} (every address, IPv4 and IPv6) that
 * answers every GET with {@code pod=<name> client=<remote IP>\n}, and a UDP server on the same port
 * number that answers every datagram with the same line. The remote IP is the source address the
 * server saw, so it shows whether a proxy on the way masqueraded (SNAT) the flow or kept the
 * client's IP.
 *
 * <p>Run as {@code java io.sluice.testkit.pod.PodHttpServer --name NAME --port PORT}; it prints
 * one line when it listens and stops on SIGTERM. It uses only the JDK (no logging framework), so
 * it starts in a few hundred milliseconds with a 32 MB heap.
 */
public final class PodHttpServer {
    private final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final DatagramSocket udp;

    private PodHttpServer(String name, int port) throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress(port), 64); // wildcard: IPv4 and IPv6
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        this.udp = new DatagramSocket(new InetSocketAddress(server.getAddress().getPort()));
    }

    /** Starts a server; {@link #stop()} ends it. */
    public static PodHttpServer start(String name, int port) throws IOException {
        PodHttpServer s = new PodHttpServer(name, port);
        s.server.start();
        Thread t = new Thread(s::serveUdp, "pod-udp-server");
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** The port it listens on (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    public void stop() {
        udp.close();
        server.stop(0);
        executor.shutdownNow();
    }

    public static void main(String[] args) throws IOException {
        Args a = Args.parse(args);
        PodHttpServer s = start(a.name(), a.port());
        System.out.println("PodHttpServer pod=" + a.name() + " listening on port " + s.port() + " (tcp and udp)");
        Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "pod-http-server-stop"));
    }

    /** The response body for a request from {@code clientIp}. */
    public static String body(String podName, String clientIp) {
        return "pod=" + podName + " client=" + clientIp + "\n";
    }

    /** Answers each datagram with {@link #body}; ends when the socket is closed. */
    private void serveUdp() {
        byte[] buf = new byte[512];
        while (!udp.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                udp.receive(in);
                byte[] out = body(name, in.getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
                udp.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (IOException e) {
                if (!udp.isClosed()) {
                    System.err.println("PodHttpServer pod=" + name + " UDP: " + e);
                }
            }
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = body(name, exchange.getRemoteAddress().getAddress().getHostAddress())
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(200, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** Command-line arguments: {@code --name NAME --port PORT}. */
    record Args(String name, int port) {
        private static final String USAGE = "PodHttpServer --name NAME --port PORT";

        static Args parse(String[] args) {
            String name = null;
            Integer port = null;
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--name" -> name = require(args[i], value);
                    case "--port" -> port = parsePort(require(args[i], value));
                    default -> throw new IllegalArgumentException("Unknown argument '" + args[i] + "'; usage: " + USAGE);
                }
                i++;
            }
            if (name == null || port == null) {
                throw new IllegalArgumentException("Both --name and --port are required; usage: " + USAGE);
            }
            return new Args(name, port);
        }

        private static String require(String flag, String value) {
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException(flag + " needs a value; usage: " + USAGE);
            }
            return value;
        }

        private static int parsePort(String value) {
            try {
                int port = Integer.parseInt(value);
                if (port >= 0 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("--port must be a number from 0 to 65535, got '" + value + "'");
        }
    }
}
