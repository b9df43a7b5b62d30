package dev.vlm.server.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A parsed scrape in the Prometheus text format: samples with their labels, and each family's
 * declared type. Parsing is strict, so a malformed exposition fails the test that reads it.
 */
final class Exposition {
  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;
  private final Map<String, String> types;

  private Exposition(List<Sample> samples, Map<String, String> types) {
    this.samples = samples;
    this.types = types;
  }

  static Exposition parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.substring("# TYPE ".length()).split(" ");
        if (parts.length != 2) {
          throw new IllegalArgumentException("malformed TYPE line: " + line);
        }
        types.put(parts[0], parts[1]);
      } else if (!line.startsWith("#")) {
        samples.add(new LineParser(line).sample());
      }
    }
    return new Exposition(samples, types);
  }

  /** The declared type of a metric family, or null if it has no TYPE line. */
  String type(String family) {
    return types.get(family);
  }

  List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  boolean has(String name, Map<String, String> labels) {
    return samples.stream().anyMatch(s -> s.name().equals(name) && s.labels().equals(labels));
  }

  /**
   * The value of the one sample with exactly this name and these labels.
   *
   * @throws AssertionError if there is none, or more than one
   */
  double value(String name, Map<String, String> labels) {
    List<Sample> matches =
        samples.stream().filter(s -> s.name().equals(name) && s.labels().equals(labels)).toList();
    if (matches.size() != 1) {
      throw new AssertionError(matches.size() + " samples " + name + labels + " in the scrape");
    }
    return matches.getFirst().value();
  }

  /** A histogram's cumulative bucket counts by upper bound ({@code +Inf} as infinity). */
  TreeMap<Double, Double> buckets(String histogram, Map<String, String> labels) {
    TreeMap<Double, Double> buckets = new TreeMap<>();
    for (Sample s : samples(histogram + "_bucket")) {
      Map<String, String> rest = new HashMap<>(s.labels());
      String le = rest.remove("le");
      if (rest.equals(labels)) {
        buckets.put(number(le), s.value());
      }
    }
    return buckets;
  }

  private static double number(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      default -> Double.parseDouble(text);
    };
  }

  /** {@code name{label="value",...} value [timestamp]}, with escapes in label values. */
  private static final class LineParser {
    private final String line;
    private int at;

    LineParser(String line) {
      this.line = line;
    }

    Sample sample() {
      String name = until("{ ");
      Map<String, String> labels = new LinkedHashMap<>();
      if (peek() == '{') {
        at++;
        while (peek() != '}') {
          String label = until("=");
          expect('=');
          expect('"');
          labels.put(label, quoted());
          if (peek() == ',') {
            at++;
          }
        }
        expect('}');
      }
      expect(' ');
      String[] rest = line.substring(at).split(" ");
      if (rest.length < 1 || rest.length > 2) {
        throw new IllegalArgumentException("malformed sample line: " + line);
      }
      return new Sample(name, labels, number(rest[0]));
    }

    private String quoted() {
      StringBuilder value = new StringBuilder();
      while (true) {
        char c = next();
        if (c == '"') {
          return value.toString();
        }
        if (c == '\\') {
          char escaped = next();
          value.append(
              switch (escaped) {
                case 'n' -> '\n';
                case '\\', '"' -> escaped;
                default -> throw new IllegalArgumentException("bad escape in: " + line);
              });
        } else {
          value.append(c);
        }
      }
    }

    private String until(String stops) {
      int start = at;
      while (at < line.length() && stops.indexOf(line.charAt(at)) < 0) {
        at++;
      }
      if (at == start || at == line.length()) {
        throw new IllegalArgumentException("malformed sample line: " + line);
      }
      return line.substring(start, at);
    }

    private char peek() {
      if (at >= line.length()) {
        throw new IllegalArgumentException("truncated sample line: " + line);
      }
      return line.charAt(at);
    }

    private char next() {
      char c = peek();
      at++;
      return c;
    }

    private void expect(char c) {
      if (next() != c) {
        throw new IllegalArgumentException("expected '" + c + "' at " + (at - 1) + " in: " + line);
      }
    }
  }
}
