package io.lvsd.testkit;

import static org.instancio.Select.root;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import org.instancio.Instancio;
import org.instancio.Random;
import org.instancio.generator.Generator;

/**
 * Property tests for the decoders: every input a director reads from strangers (adverts, sync datagrams, netlink
 * replies, check responses, configuration) is fed {@link #TRIES} generated inputs, seeded and reproducible.
 *
 * <p>Instancio draws the inputs: a {@link Generator} gets its seeded {@link Random}, and {@link #forAll} runs the
 * property on each. A failure names the seed, the input's number and the input itself (bytes in hex), and
 * {@code -Dlvsd.fuzz.seed=S} replays it; {@code -Dlvsd.fuzz.tries=N} runs longer. The suite's seed is fixed, so
 * the normal run is deterministic; a longer exploration varies the seed.
 *
 * <p>The byte generators are {@link #bytes}, plain noise, and {@link #mutated}, valid encodings with a few
 * structure-aware edits (bit flips, boundary values in 1-, 2- and 4-byte fields, truncation, growth): noise tests
 * the first checks, mutations reach the deep ones.
 */
public final class Fuzz {
    /** Inputs per property: 10,000 in the normal suite. */
    public static final int TRIES = Integer.getInteger("lvsd.fuzz.tries", 10_000);
    /** The suite's seed. */
    public static final long SEED = Long.getLong("lvsd.fuzz.seed", 20261204L);

    private Fuzz() {
    }

    /** A property over one input; any exception or assertion error fails it. */
    public interface Property<T> {
        void check(T input) throws Exception;
    }

    /**
     * Runs {@code property} on {@link #TRIES} inputs from {@code generator}, in a seeded order. The first failure
     * stops the run and is reported with the seed, the input's number and the input.
     */
    public static <T> void forAll(Generator<T> generator, Property<T> property) {
        forAll(TRIES, generator, property);
    }

    /** {@link #forAll(Generator, Property)} with {@code tries} inputs. */
    @SuppressWarnings("unchecked")
    public static <T> void forAll(int tries, Generator<T> generator, Property<T> property) {
        List<Object> inputs = Instancio.of(Object.class).supply(root(), generator).withSeed(SEED).stream()
                .limit(tries).toList();
        int n = 0;
        for (Object o : inputs) {
            T input = (T) o;
            try {
                property.check(input);
            } catch (Throwable t) {
                throw new AssertionError("property failed on input #" + n + " of seed " + SEED
                        + " (replay with -Dlvsd.fuzz.seed=" + SEED + "): " + describe(input) + "\n  " + t, t);
            }
            n++;
        }
        if (n != tries) {
            throw new AssertionError("ran " + n + " of " + tries + " inputs");
        }
    }

    /** Random bytes, 0 to {@code maxLength} long. */
    public static Generator<byte[]> bytes(int maxLength) {
        return random -> {
            byte[] b = new byte[random.intRange(0, maxLength)];
            for (int i = 0; i < b.length; i++) {
                b[i] = random.byteRange(Byte.MIN_VALUE, Byte.MAX_VALUE);
            }
            return b;
        };
    }

    /**
     * One of {@code seeds} (valid encodings), with 1 to 4 edits: a bit flipped, a byte or a 2- or 4-byte field
     * set to a boundary value (0, all ones, the sign bit, small lengths), a truncation, or random bytes appended.
     * An eighth of the inputs are plain noise, as long as the longest seed.
     */
    public static Generator<byte[]> mutated(List<byte[]> seeds) {
        int longest = seeds.stream().mapToInt(s -> s.length).max().orElse(64);
        Generator<byte[]> noise = bytes(longest + 8);
        return random -> {
            if (random.intRange(0, 7) == 0) {
                return noise.generate(random);
            }
            byte[] b = random.oneOf(seeds).clone();
            int edits = random.intRange(1, 4);
            for (int e = 0; e < edits; e++) {
                b = edit(b, random);
            }
            return b;
        };
    }

    private static final Integer[] BOUNDARIES = {0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
            0x7fffffff, 0x80000000, 0xffffffff};

    private static byte[] edit(byte[] b, Random random) {
        int kind = random.intRange(0, 5);
        if (b.length == 0 || kind == 5) { // grow
            byte[] tail = bytes(16).generate(random);
            byte[] out = Arrays.copyOf(b, b.length + tail.length);
            System.arraycopy(tail, 0, out, b.length, tail.length);
            return out;
        }
        int at = random.intRange(0, b.length - 1);
        switch (kind) {
            case 0 -> b[at] ^= (byte) (1 << random.intRange(0, 7));
            case 1 -> b[at] = (byte) random.oneOf(BOUNDARIES).intValue();
            case 2, 3 -> { // a 2- or 4-byte field, in either byte order
                int width = kind == 2 ? 2 : 4;
                int v = random.oneOf(BOUNDARIES);
                boolean big = random.trueOrFalse();
                for (int i = 0; i < width && at + i < b.length; i++) {
                    int shift = 8 * (big ? width - 1 - i : i);
                    b[at + i] = (byte) (v >>> shift);
                }
            }
            default -> { // truncate
                return Arrays.copyOf(b, at);
            }
        }
        return b;
    }

    /** Inputs drawn from several generators, each equally often. */
    @SafeVarargs
    public static <T> Generator<T> oneOf(Generator<? extends T>... generators) {
        return random -> generators[random.intRange(0, generators.length - 1)].generate(random);
    }

    /**
     * The bytes the current thread allocated while {@code work} ran, for the property "no allocation proportional
     * to a length field the input claims".
     */
    public static long allocated(Runnable work) {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long before = mx.getThreadAllocatedBytes(id);
        work.run();
        return mx.getThreadAllocatedBytes(id) - before;
    }

    /**
     * What {@code claims} and {@code base} each allocate on this thread, compared fairly: one run each to load and
     * warm what they use, then five rounds taking turns, the least of each. The JIT compiles a path (and its escape
     * analysis drops allocations) at a moment of its own: measured one after the other, the same decode once cost
     * 288 bytes more than the other for that alone; taking turns lets both reach the same compiled code.
     *
     * @return the bytes of {@code claims}, then of {@code base}
     */
    public static long[] leastAllocated(Runnable claims, Runnable base) {
        claims.run();
        base.run();
        long a = Long.MAX_VALUE;
        long b = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            a = Math.min(a, allocated(claims));
            b = Math.min(b, allocated(base));
        }
        return new long[] {a, b};
    }

    /** The least that {@code work} allocates on this thread in {@code runs} runs (see {@link #allocated}). */
    public static long leastAllocated(int runs, Runnable work) {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            least = Math.min(least, allocated(work));
        }
        return least;
    }

    /**
     * More bytes than a decode that reads a claimed count of 255 may allocate over one that reads a count of 1,
     * however the JIT stands: half an array sized by the claim (255 references, 1,036 bytes with compressed oops).
     */
    public static final long CLAIM_SLACK = 512;

    /**
     * The allocation bound a decoder must keep for an input of {@code length} bytes: 64 bytes per input byte
     * (objects for what the input holds) plus 16 KiB. A decoder that trusts a claimed length of tens of kilobytes
     * or more fails it.
     */
    public static long allocationBound(int length) {
        return 64L * length + 16 * 1024;
    }

    /** Asserts that {@code decode} on {@code input} allocates within {@link #allocationBound}. */
    public static <T> void allocationBounded(byte[] input, Function<byte[], T> decode) {
        Runnable once = () -> {
            try {
                decode.apply(input);
            } catch (RuntimeException rejected) {
                // the typed error, or not: the caller's other property judges that
            }
        };
        once.run(); // the classes this input's path loads, and their first-use caches, are not the decoder's
        long got = allocated(once);
        if (got > allocationBound(input.length)) {
            throw new AssertionError("decoding " + input.length + " bytes allocated " + got + " bytes (bound "
                    + allocationBound(input.length) + ")");
        }
    }

    static String describe(Object input) {
        if (input instanceof byte[] b) {
            return b.length + " bytes " + HexFormat.of().formatHex(b);
        }
        String s = String.valueOf(input);
        return s.length() <= 4000 ? s : s.substring(0, 4000) + " [... " + (s.length() - 4000) + " more characters]";
    }
}
