package io.prefstream.model.onnx;

import java.util.Arrays;

/** A float32 tensor read from an ONNX initializer: its graph name, shape and row-major values. */
public record OnnxTensor(String name, long[] shape, float[] data) {

  public OnnxTensor {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape) + " ("
          + n + " values) but " + data.length + " values");
    }
  }

  /** The same values under another name (a graph-folded weight mapped to its model parameter name). */
  public OnnxTensor renamed(String newName) {
    return new OnnxTensor(newName, shape, data);
  }

  @Override
  public String toString() {
    return "OnnxTensor[" + name + " " + Arrays.toString(shape) + "]";
  }
}
