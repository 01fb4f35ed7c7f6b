package fk.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The seed's two ksqlDB statements (rules/custdq-ksql.yaml) as a Kafka Streams application:
 *
 * <pre>
 * CREATE STREAM custdqdemo (name VARCHAR, address VARCHAR, phone VARCHAR, job VARCHAR,
 *     email VARCHAR, dob VARCHAR, created_at VARCHAR) WITH (VALUE_FORMAT = 'JSON', ...);
 * CREATE STREAM custexcep AS SELECT name, CASE WHEN dob &lt; '1980-01-01' THEN 'Policyexception'
 *     WHEN job = 'Arboriculturist' THEN 'Not standard profession' ELSE 'Correct' END AS Quality
 *   FROM CUSTDQDEMO;
 * </pre>
 *
 * It writes what ksqlDB writes: the value {"NAME":...,"QUALITY":...} as Jackson prints it, no
 * key, the input record's timestamp; values are read the way ksqlDB's KsqlJsonDeserializer reads
 * them, and a value it could not deserialize is skipped and counted, as ksqlDB drops it to its
 * processing log. Only the three columns the query reads are coerced: a VARCHAR column takes any
 * JSON value, so the other four can never fail a record.
 *
 * <p>Usage: CustExcep BOOTSTRAP INPUT_TOPIC OUTPUT_TOPIC APPLICATION_ID STATE_DIR. Runs until
 * SIGTERM; prints "state RUNNING" on stderr once the stream thread has its partitions.
 * CustExcep --lines: no Kafka; each line of stdin (bytes as they are) to its CUSTEXCEP value, or
 * "null" for a value that would be skipped, one per line (peer.sh compares it with faker-kafkad -e).
 */
public final class CustExcep {
    /* KsqlJsonDeserializer's mapper: floats as exact BigDecimals, so 1.50 prints as "1.50". */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));
    private static final AtomicLong SKIPPED = new AtomicLong();

    private CustExcep() {}

    /* The column's JSON node as ksqlDB finds it: the exact name first, else upper-cased keys. */
    private static JsonNode column(JsonNode obj, Map<String, JsonNode> upper, String name) {
        JsonNode v = obj.get(name);
        return v != null ? v : upper.get(name);
    }

    /* JsonSerdeUtils' VARCHAR coercion: text as is, other scalars as asText(), objects as JSON
     * text, arrays as the Java list of their elements coerced the same way. */
    private static String varchar(JsonNode v) throws JsonProcessingException {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isObject()) {
            return MAPPER.writeValueAsString(MAPPER.treeToValue(v, Object.class));
        }
        if (v.isArray()) {
            List<String> l = new ArrayList<>(v.size());
            for (JsonNode e : v) {
                l.add(varchar(e));
            }
            return l.toString();
        }
        return v.asText();
    }

    /** One input value to its CUSTEXCEP value, or null when ksqlDB could not read it. */
    static byte[] custexcep(byte[] value) throws IOException {
        if (value == null) {
            return null; /* a stream ignores tombstones */
        }
        JsonNode obj = MAPPER.readTree(value);
        if (obj == null || !obj.isObject()) {
            throw new IOException("not a JSON object");
        }
        /* A later key whose upper case collides replaces an earlier one, as in ksqlDB's map. */
        Map<String, JsonNode> upper = new HashMap<>(obj.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            upper.put(e.getKey().toUpperCase(), e.getValue());
        }
        String name = varchar(column(obj, upper, "NAME"));
        String dob = varchar(column(obj, upper, "DOB"));
        String job = varchar(column(obj, upper, "JOB"));
        String quality;
        if (dob != null && dob.compareTo("1980-01-01") < 0) {
            quality = "Policyexception";
        } else if (job != null && job.equals("Arboriculturist")) {
            quality = "Not standard profession";
        } else {
            quality = "Correct";
        }
        ObjectNode out = MAPPER.createObjectNode();
        out.put("NAME", name);
        out.put("QUALITY", quality);
        return MAPPER.writeValueAsBytes(out);
    }

    private static List<KeyValue<byte[], byte[]>> process(byte[] value) {
        byte[] out;
        try {
            out = custexcep(value);
        } catch (IOException | RuntimeException e) {
            /* the first few are shown; the count is printed at exit */
            if (SKIPPED.incrementAndGet() <= 5) {
                System.err.println("skipped a record that cannot be deserialized: " + e.getMessage());
            }
            return List.of();
        }
        return out == null ? List.of() : List.of(KeyValue.pair((byte[]) null, out));
    }

    /* --lines: each line of stdin to its CUSTEXCEP value, or "null" when it would be skipped */
    private static void lines() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.ISO_8859_1));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        for (String l; (l = in.readLine()) != null;) {
            List<KeyValue<byte[], byte[]>> r = process(l.getBytes(StandardCharsets.ISO_8859_1));
            out.write(r.isEmpty() ? "null".getBytes(StandardCharsets.US_ASCII) : r.get(0).value);
            out.write('\n');
        }
        out.flush();
    }

    public static void main(String[] args) throws InterruptedException, IOException {
        if (args.length == 1 && args[0].equals("--lines")) {
            lines();
            return;
        }
        if (args.length != 5) {
            System.err.println("usage: CustExcep BOOTSTRAP INPUT_TOPIC OUTPUT_TOPIC APPLICATION_ID STATE_DIR");
            System.exit(64);
        }
        Properties p = new Properties();
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[3]);
        p.put(StreamsConfig.STATE_DIR_CONFIG, args[4]);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        /* a fresh application id reads the input from its start, as the dq group does */
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

        StreamsBuilder b = new StreamsBuilder();
        b.stream(args[1], Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .flatMap((k, v) -> process(v))
                .to(args[2], Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));

        KafkaStreams streams = new KafkaStreams(b.build(), p);
        CountDownLatch done = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            System.err.println("state " + now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                done.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            e.printStackTrace();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(30));
            System.err.println("skipped " + SKIPPED.get() + " record(s) that cannot be deserialized");
        }));
        streams.start();
        done.await();
        System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
    }
}
