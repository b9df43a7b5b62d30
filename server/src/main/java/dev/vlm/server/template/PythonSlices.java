package dev.vlm.server.template;

import java.util.ArrayList;
import java.util.List;

/** Python's {@code sequence[start:stop:step]} on lists and strings. Stateless. */
final class PythonSlices {

  private PythonSlices() {}

  /**
   * @param sequence a list or a string
   * @param bounds start, stop and step, each null for "omitted"
   * @return a new list, or a string
   * @throws IllegalArgumentException for a zero or non-integer step or bound
   */
  static Object slice(Object sequence, List<Object> bounds) {
    if (bounds.size() != 3) {
      throw new IllegalArgumentException("a slice takes start, stop and step");
    }
    int length = sequence instanceof CharSequence text ? text.length() : ((List<?>) sequence).size();
    int step = bound(bounds.get(2), 1);
    if (step == 0) {
      throw new IllegalArgumentException("slice step cannot be zero");
    }
    // The same clamping as CPython's PySlice_AdjustIndices.
    int start = clamp(bound(bounds.get(0), step > 0 ? 0 : length - 1), length, step);
    int stop = clamp(bound(bounds.get(1), step > 0 ? length : -length - 1), length, step);
    List<Integer> indices = new ArrayList<>();
    for (int i = start; step > 0 ? i < stop : i > stop; i += step) {
      indices.add(i);
    }
    if (sequence instanceof CharSequence text) {
      StringBuilder out = new StringBuilder(indices.size());
      indices.forEach(i -> out.append(text.charAt(i)));
      return out.toString();
    }
    List<?> list = (List<?>) sequence;
    List<Object> out = new ArrayList<>(indices.size());
    indices.forEach(i -> out.add(list.get(i)));
    return out;
  }

  private static int bound(Object value, int omitted) {
    if (value == null) {
      return omitted;
    }
    if (value instanceof Number number && !(value instanceof Double) && !(value instanceof Float)) {
      return (int) Math.max(Integer.MIN_VALUE / 2, Math.min(Integer.MAX_VALUE / 2, number.longValue()));
    }
    throw new IllegalArgumentException("slice indices must be integers or None, got " + PythonTypes.describe(value));
  }

  private static int clamp(int index, int length, int step) {
    if (index < 0) {
      index += length;
      if (index < 0) {
        return step < 0 ? -1 : 0;
      }
      return index;
    }
    if (index >= length) {
      return step < 0 ? length - 1 : length;
    }
    return index;
  }
}
