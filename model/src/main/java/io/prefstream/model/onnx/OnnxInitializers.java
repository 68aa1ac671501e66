package io.prefstream.model.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import io.prefstream.model.onnx.proto.GraphProto;
import io.prefstream.model.onnx.proto.ModelProto;
import io.prefstream.model.onnx.proto.NodeProto;
import io.prefstream.model.onnx.proto.TensorProto;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The float32 initializers (weights) of an ONNX model, read with the protobuf classes generated from
 * {@code src/main/proto/onnx.proto}, plus the graph's nodes so that weights an exporter folded into
 * anonymous {@code MatMul} inputs (e.g. {@code onnx::MatMul_123}) can be named after the model parameter
 * they implement ({@link #withGraphNames()}).
 */
public final class OnnxInitializers {
  private final Map<String, OnnxTensor> tensors;
  private final List<NodeProto> nodes;
  /** Non-float initializers by name → their data type, so asking for one gives a precise error. */
  private final Map<String, String> skipped;

  private OnnxInitializers(Map<String, OnnxTensor> tensors, List<NodeProto> nodes, Map<String, String> skipped) {
    this.tensors = Collections.unmodifiableMap(tensors);
    this.nodes = List.copyOf(nodes);
    this.skipped = Collections.unmodifiableMap(skipped);
  }

  /** Reads every initializer of the ONNX file; fails on external data or non-float32 tensors it would need. */
  public static OnnxInitializers read(Path onnxFile) {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(onnxFile), 1 << 20)) {
      return read(in, onnxFile.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read ONNX model " + onnxFile + ": " + e.getMessage(), e);
    }
  }

  /** Reads from a stream (e.g. a classpath resource); {@code source} names it in errors. */
  public static OnnxInitializers read(InputStream in, String source) throws IOException {
    CodedInputStream coded = CodedInputStream.newInstance(in);
    // Weights files exceed protobuf's default 64 MiB message limit in older runtimes; ONNX itself caps at 2 GiB.
    coded.setSizeLimit(Integer.MAX_VALUE);
    ModelProto model;
    try {
      model = ModelProto.parseFrom(coded);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(source + " is not an ONNX model (protobuf parse failed: "
          + e.getMessage() + ")", e);
    }
    if (!model.hasGraph()) {
      throw new IllegalArgumentException(source + " is not an ONNX model: it has no graph");
    }
    GraphProto graph = model.getGraph();
    Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
    Map<String, String> skipped = new LinkedHashMap<>();
    for (TensorProto t : graph.getInitializerList()) {
      if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
        // Integer constants (shapes, indices) are legitimately present; they are reported if asked for.
        skipped.put(t.getName(), dataTypeName(t.getDataType()));
        continue;
      }
      tensors.put(t.getName(), toFloat(t, source));
    }
    return new OnnxInitializers(tensors, graph.getNodeList(), skipped);
  }

  static OnnxTensor toFloat(TensorProto t, String source) {
    if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
      throw new IllegalArgumentException("initializer " + t.getName() + " of " + source
          + " keeps its data in an external file; only weights embedded in the .onnx file are supported");
    }
    long[] shape = new long[t.getDimsCount()];
    long n = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = t.getDims(i);
      n *= shape[i];
    }
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("initializer " + t.getName() + " has " + n + " values, too many");
    }
    float[] data = new float[(int) n];
    if (t.hasRawData()) {
      ByteString raw = t.getRawData();
      if (raw.size() != 4L * n) {
        throw new IllegalArgumentException("initializer " + t.getName() + " of " + source + ": raw_data has "
            + raw.size() + " bytes, shape needs " + 4L * n);
      }
      // ONNX raw_data is always little-endian, whatever the platform.
      raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
    } else {
      if (t.getFloatDataCount() != n) {
        throw new IllegalArgumentException("initializer " + t.getName() + " of " + source + ": float_data has "
            + t.getFloatDataCount() + " values, shape needs " + n);
      }
      for (int i = 0; i < data.length; i++) {
        data[i] = t.getFloatData(i);
      }
    }
    return new OnnxTensor(t.getName(), shape, data);
  }

  private static String dataTypeName(int code) {
    TensorProto.DataType dt = TensorProto.DataType.forNumber(code);
    return dt == null ? "data_type " + code : dt.name();
  }

  /** Names of the float32 initializers, in file order. */
  public Set<String> names() {
    return tensors.keySet();
  }

  public int size() {
    return tensors.size();
  }

  public boolean contains(String name) {
    return tensors.containsKey(name);
  }

  /** The float32 initializer {@code name}; a clear error names what exists when it does not. */
  public OnnxTensor get(String name) {
    OnnxTensor t = tensors.get(name);
    if (t != null) {
      return t;
    }
    if (skipped.containsKey(name)) {
      throw new IllegalArgumentException("initializer " + name + " is " + skipped.get(name)
          + ", not FLOAT (float32); only float32 weights are read");
    }
    throw new IllegalArgumentException("no initializer named '" + name + "'; the model has " + tensors.size()
        + " float32 initializers, e.g. " + new ArrayList<>(new TreeSet<>(tensors.keySet())).subList(0,
        Math.min(8, tensors.size())));
  }

  /** The graph's nodes in file (topological) order. */
  public List<NodeProto> nodes() {
    return nodes;
  }

  /**
   * The initializers with folded weights renamed after the parameter they implement. Exporters (torch.onnx)
   * store a Linear layer as {@code MatMul(x, onnx::MatMul_N)} followed by {@code Add(·, <layer>.bias)}; the
   * anonymous weight, already transposed to [in, out], is named {@code <layer>.weight} here. Names that are
   * already parameter names are kept as they are. A weight feeding several MatMuls, or one whose MatMul is
   * followed by no named bias, keeps its graph name.
   */
  public OnnxInitializers withGraphNames() {
    Map<String, List<NodeProto>> consumers = new LinkedHashMap<>();
    for (NodeProto node : nodes) {
      for (String in : node.getInputList()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(node);
      }
    }
    Map<String, OnnxTensor> renamed = new LinkedHashMap<>();
    for (OnnxTensor t : tensors.values()) {
      String name = t.name();
      String mapped = name;
      List<NodeProto> users = consumers.getOrDefault(name, List.of());
      if (name.startsWith("onnx::") && users.size() == 1 && users.get(0).getOpType().equals("MatMul")
          && users.get(0).getOutputCount() == 1) {
        for (NodeProto next : consumers.getOrDefault(users.get(0).getOutput(0), List.of())) {
          if (!next.getOpType().equals("Add")) {
            continue;
          }
          for (String in : next.getInputList()) {
            if (in.endsWith(".bias") && tensors.containsKey(in)) {
              mapped = in.substring(0, in.length() - ".bias".length()) + ".weight";
            }
          }
        }
      }
      if (renamed.containsKey(mapped)) {
        throw new IllegalStateException("two initializers map to parameter " + mapped + ": "
            + renamed.get(mapped).name() + " and " + name);
      }
      renamed.put(mapped, mapped.equals(name) ? t : t.renamed(mapped));
    }
    return new OnnxInitializers(renamed, nodes, skipped);
  }
}
