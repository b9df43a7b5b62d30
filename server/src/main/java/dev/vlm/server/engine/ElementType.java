package dev.vlm.server.engine;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.vlm.server.model.ModelLoadException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The floating-point element types the server feeds and reads: float32 and float16. Which one a
 * tensor has is read from the graph, never assumed. Java keeps embeddings and logits as float32:
 * float16 widens to it exactly, and narrows back exactly for values that came from float16.
 */
enum ElementType {
  FLOAT32(Float.BYTES, OnnxJavaType.FLOAT),
  FLOAT16(Short.BYTES, OnnxJavaType.FLOAT16);

  private final int bytes;
  private final OnnxJavaType javaType;

  ElementType(int bytes, OnnxJavaType javaType) {
    this.bytes = bytes;
    this.javaType = javaType;
  }

  /** Bytes per element. */
  int bytes() {
    return bytes;
  }

  OnnxJavaType javaType() {
    return javaType;
  }

  /**
   * The element type of a graph input or output.
   *
   * @throws ModelLoadException naming the graph, the tensor and its type if it is neither float32
   *     nor float16
   */
  static ElementType of(NodeInfo node, String graph) {
    if (!(node.getInfo() instanceof TensorInfo info)) {
      throw new ModelLoadException(graph + ": '" + node.getName() + "' is not a tensor");
    }
    return switch (info.type) {
      case FLOAT -> FLOAT32;
      case FLOAT16 -> FLOAT16;
      default -> throw new ModelLoadException(graph + ": tensor '" + node.getName() + "' has element type "
          + info.onnxType + ", which the server cannot feed (it takes float32 or float16)");
    };
  }

  /**
   * A tensor of this type holding {@code values} (narrowed to float16, rounding to nearest even,
   * for {@link #FLOAT16}).
   */
  OnnxTensor tensor(OrtEnvironment env, float[] values, long[] shape) throws OrtException {
    if (this == FLOAT32) {
      return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
    }
    ByteBuffer half = ByteBuffer.allocateDirect(values.length * Short.BYTES).order(ByteOrder.nativeOrder());
    ShortBuffer shorts = half.asShortBuffer();
    for (float v : values) {
      shorts.put(Float.floatToFloat16(v));
    }
    return OnnxTensor.createTensor(env, half, shape, javaType);
  }

  /**
   * A float32 or float16 tensor's values widened to float32: exact, since every float16 value is a
   * float32 value.
   */
  static FloatBuffer floats(OnnxTensor tensor) {
    return switch (tensor.getInfo().type) {
      case FLOAT -> tensor.getFloatBuffer();
      case FLOAT16 -> {
        ShortBuffer half = halves(tensor);
        float[] wide = new float[half.remaining()];
        widen(half, 0, wide);
        yield FloatBuffer.wrap(wide);
      }
      default -> throw new EngineException(
          "tensor of type " + tensor.getInfo().type + " read as floats; only float32 and float16 are read", null);
    };
  }

  /** A float16 tensor's raw elements (a copy), in native order. */
  static ShortBuffer halves(OnnxTensor tensor) {
    return tensor.getByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer();
  }

  /** Widens {@code into.length} float16 elements from index {@code from} into float32, exactly. */
  static void widen(ShortBuffer half, int from, float[] into) {
    for (int i = 0; i < into.length; i++) {
      into[i] = Float.float16ToFloat(half.get(from + i));
    }
  }
}
