import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

import java.util.concurrent.CountDownLatch;

/**
 * mongo-java-server (in-memory backend) speaking the MongoDB wire protocol on 127.0.0.1 only.
 *
 * Usage: java -cp CLASSPATH FkMongoServer [PORT]      (PORT defaults to 27018)
 * Optional: -Dfk.mongo.serverVersion=MONGO_3_6|MONGO_4_0|MONGO_5_0 (the library's default is MONGO_5_0).
 *
 * Prints exactly one line "listening on 127.0.0.1:PORT" to stdout once the socket is bound;
 * SIGTERM/SIGINT run a shutdown hook that closes the server before the JVM exits.
 * Everything lives in memory: a restart starts from an empty server.
 */
public final class FkMongoServer {
    private static final String HOST = "127.0.0.1";
    private static final int DEFAULT_PORT = 27018;

    private FkMongoServer() {
    }

    public static void main(String[] args) throws InterruptedException {
        int port = DEFAULT_PORT;
        if (args.length > 0) {
            try {
                port = Integer.parseInt(args[0]);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                System.err.println("FkMongoServer: bad port '" + args[0] + "' (want 1-65535)");
                System.exit(2);
            }
        }

        MongoBackend backend = new MemoryBackend();
        String version = System.getProperty("fk.mongo.serverVersion");
        if (version != null && !version.isEmpty()) {
            try {
                backend.version(ServerVersion.valueOf(version));
            } catch (IllegalArgumentException e) {
                System.err.println("FkMongoServer: unknown fk.mongo.serverVersion '" + version + "'");
                System.exit(2);
            }
        }

        MongoServer server = new MongoServer(backend);
        try {
            server.bind(HOST, port);
        } catch (RuntimeException e) {
            System.err.println("FkMongoServer: cannot bind " + HOST + ":" + port + ": " + e);
            server.shutdownNow();
            System.exit(1);
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("FkMongoServer: shutting down");
            try {
                server.shutdown();
            } finally {
                stopped.countDown();
            }
            System.err.println("FkMongoServer: stopped");
        }, "fk-mongo-shutdown"));

        System.out.println("listening on " + HOST + ":" + port);
        System.out.flush();

        // netty's event loops serve the clients; the main thread only parks until shutdown
        stopped.await();
    }
}
