package dev.vlm.server.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.vlm.server.model.ModelLoadException;
import java.util.Map;

/**
 * Reads and checks the element type of every input and output of the three graphs when they are
 * opened, so that a graph the server cannot feed fails its load, naming the tensor and its type,
 * instead of its first request.
 */
final class GraphTypes {
  private GraphTypes() {}

  /** The decoder's floating-point element types. */
  record DecoderTypes(ElementType embeds, ElementType cache, ElementType logits) {}

  /**
   * Checks the vision encoder: float {@code pixel_values}, the families' further inputs boolean or
   * int64, float features.
   *
   * @return the element type {@code pixel_values} takes
   */
  static ElementType vision(OrtSession session, String file) {
    Map<String, NodeInfo> inputs = inputs(session, file);
    for (NodeInfo input : inputs.values()) {
      if (!input.getName().equals("pixel_values")) {
        requireType(input, file, OnnxJavaType.BOOL, OnnxJavaType.INT64);
      }
    }
    outputs(session, file).values().forEach(output -> ElementType.of(output, file));
    return ElementType.of(inputs.get("pixel_values"), file);
  }

  /** Checks the embedding graph: int64 {@code input_ids}, float embeddings. */
  static void embed(OrtSession session, String file) {
    requireType(inputs(session, file).get("input_ids"), file, OnnxJavaType.INT64);
    outputs(session, file).values().forEach(output -> ElementType.of(output, file));
  }

  /**
   * Checks the decoder: every input one the server feeds, in a type it feeds; the cache inputs and
   * outputs all of one float type.
   */
  static DecoderTypes decoder(OrtSession session, String file) {
    ElementType cache = null;
    String firstCache = null;
    for (NodeInfo input : inputs(session, file).values()) {
      String name = input.getName();
      switch (name) {
        case "inputs_embeds" -> ElementType.of(input, file);
        case "attention_mask", "position_ids", "num_logits_to_keep" -> requireType(input, file, OnnxJavaType.INT64);
        case "use_cache_branch" -> requireType(input, file, OnnxJavaType.BOOL);
        default -> {
          if (!name.startsWith("past_key_values.") && !name.startsWith("past_conv.")) {
            throw new ModelLoadException(file + " has input '" + name + "', which the server does not feed");
          }
          ElementType type = ElementType.of(input, file);
          if (cache == null) {
            cache = type;
            firstCache = name;
          } else if (type != cache) {
            throw new ModelLoadException(file + ": cache input '" + name + "' is " + type + " but '" + firstCache
                + "' is " + cache + "; the server keeps one element type per cache");
          }
        }
      }
    }
    Map<String, NodeInfo> outputs = outputs(session, file);
    for (NodeInfo output : outputs.values()) {
      ElementType type = ElementType.of(output, file);
      if (output.getName().startsWith("present") && type != cache) {
        throw new ModelLoadException(file + ": output '" + output.getName() + "' is " + type
            + " but the cache inputs are " + cache + "; a step's presents must feed the next step's past");
      }
    }
    ElementType embeds = ElementType.of(inputs(session, file).get("inputs_embeds"), file);
    return new DecoderTypes(embeds, cache, ElementType.of(outputs.get("logits"), file));
  }

  private static void requireType(NodeInfo node, String file, OnnxJavaType... allowed) {
    if (node.getInfo() instanceof TensorInfo info) {
      for (OnnxJavaType type : allowed) {
        if (info.type == type) {
          return;
        }
      }
      throw new ModelLoadException(file + ": tensor '" + node.getName() + "' has element type " + info.onnxType
          + ", but the server feeds it as " + allowed[0]);
    }
    throw new ModelLoadException(file + ": '" + node.getName() + "' is not a tensor");
  }

  private static Map<String, NodeInfo> inputs(OrtSession session, String file) {
    try {
      return session.getInputInfo();
    } catch (OrtException e) {
      throw new ModelLoadException("cannot read the inputs of " + file + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, NodeInfo> outputs(OrtSession session, String file) {
    try {
      return session.getOutputInfo();
    } catch (OrtException e) {
      throw new ModelLoadException("cannot read the outputs of " + file + ": " + e.getMessage(), e);
    }
  }
}
