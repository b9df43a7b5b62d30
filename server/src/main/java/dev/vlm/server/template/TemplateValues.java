package dev.vlm.server.template;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns requests into the Python-like values a template sees: dicts for messages and parts,
 * lists for sequences. Every render gets fresh mutable copies, so a template that appends to a
 * list or pops from a dict cannot leak into another render. Stateless.
 */
final class TemplateValues {

  private TemplateValues() {}

  /** {@code [{"role": ..., "content": [{"type": "text", "text": ...}, {"type": "image"}]}]}. */
  static List<Object> messages(List<ChatMessage> messages) {
    List<Object> out = new ArrayList<>(messages.size());
    for (ChatMessage message : messages) {
      List<Object> parts = new ArrayList<>(message.content().size());
      for (ChatPart part : message.content()) {
        Map<String, Object> dict = new LinkedHashMap<>();
        switch (part) {
          case ChatPart.Text text -> {
            dict.put("type", "text");
            dict.put("text", text.text());
          }
          case ChatPart.Image image -> dict.put("type", "image");
        }
        parts.add(dict);
      }
      Map<String, Object> dict = new LinkedHashMap<>();
      dict.put("role", message.role());
      dict.put("content", parts);
      out.add(dict);
    }
    return out;
  }

  /**
   * A deep mutable copy of a JSON-like value (maps, lists, strings, numbers, booleans, null).
   *
   * @throws IllegalArgumentException for any other kind of value
   */
  static Object copy(Object value) {
    return switch (value) {
      case null -> null;
      case CharSequence text -> text.toString();
      case Number number -> number;
      case Boolean bool -> bool;
      case Map<?, ?> map -> {
        Map<Object, Object> out = new LinkedHashMap<>();
        map.forEach((key, item) -> out.put(copy(key), copy(item)));
        yield out;
      }
      case Iterable<?> items -> {
        List<Object> out = new ArrayList<>();
        items.forEach(item -> out.add(copy(item)));
        yield out;
      }
      default ->
          throw new IllegalArgumentException(
              "template variables must be JSON-like (map, list, string, number, boolean, null), got "
                  + value.getClass().getName());
    };
  }
}
