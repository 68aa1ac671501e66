package io.prefstream.model.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.prefstream.model.bert.MiniLmEncoder;
import io.prefstream.model.onnx.proto.GraphProto;
import io.prefstream.model.onnx.proto.ModelProto;
import io.prefstream.model.onnx.proto.NodeProto;
import io.prefstream.model.onnx.proto.TensorProto;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class OnnxInitializersTest {

  private static OnnxInitializers parse(GraphProto graph) throws IOException {
    byte[] bytes = ModelProto.newBuilder().setIrVersion(8).setGraph(graph).build().toByteArray();
    return OnnxInitializers.read(new ByteArrayInputStream(bytes), "test.onnx");
  }

  private static TensorProto raw(String name, float[] values, long... dims) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putFloat(v);
    }
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) {
      b.addDims(d);
    }
    return b.build();
  }

  @Test
  void readsRawLittleEndianAndFloatData() throws IOException {
    TensorProto viaFloatData = TensorProto.newBuilder().setName("b").setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(3).addFloatData(1.5f).addFloatData(-2f).addFloatData(1e-12f).build();
    OnnxInitializers w = parse(GraphProto.newBuilder()
        .addInitializer(raw("a", new float[] {1f, -0.25f, 3e7f, Float.MIN_VALUE, 7f, 8f}, 2, 3))
        .addInitializer(viaFloatData).build());
    assertThat(w.names()).containsExactly("a", "b");
    assertThat(w.get("a").shape()).containsExactly(2, 3);
    assertThat(w.get("a").data()).containsExactly(1f, -0.25f, 3e7f, Float.MIN_VALUE, 7f, 8f);
    assertThat(w.get("b").data()).containsExactly(1.5f, -2f, 1e-12f);
  }

  @Test
  void clearErrorsForMissingNamesOtherDtypesAndBadSizes() throws IOException {
    TensorProto ints = TensorProto.newBuilder().setName("shape").setDataType(TensorProto.DataType.INT64_VALUE)
        .addDims(2).addInt64Data(1).addInt64Data(2).build();
    OnnxInitializers w = parse(GraphProto.newBuilder().addInitializer(ints)
        .addInitializer(raw("a", new float[] {1f}, 1)).build());
    assertThatThrownBy(() -> w.get("shape")).hasMessageContaining("INT64").hasMessageContaining("float32");
    assertThatThrownBy(() -> w.get("nope")).hasMessageContaining("no initializer named 'nope'")
        .hasMessageContaining("a");
    GraphProto bad = GraphProto.newBuilder().addInitializer(raw("c", new float[] {1f, 2f}, 3)).build();
    assertThatThrownBy(() -> parse(bad)).hasMessageContaining("raw_data has 8 bytes, shape needs 12");
    assertThatThrownBy(() -> OnnxInitializers.read(new ByteArrayInputStream(new byte[] {(byte) 0xff, 1, 2}),
        "junk.onnx")).hasMessageContaining("junk.onnx");
  }

  @Test
  void foldedMatMulWeightsAreNamedAfterTheirBias() throws IOException {
    OnnxInitializers w = parse(GraphProto.newBuilder()
        .addInitializer(raw("onnx::MatMul_7", new float[] {1, 2, 3, 4}, 2, 2))
        .addInitializer(raw("enc.query.bias", new float[] {0, 0}, 2))
        .addNode(NodeProto.newBuilder().setOpType("MatMul").addInput("x").addInput("onnx::MatMul_7")
            .addOutput("mm"))
        .addNode(NodeProto.newBuilder().setOpType("Add").addInput("enc.query.bias").addInput("mm")
            .addOutput("y"))
        .build()).withGraphNames();
    assertThat(w.names()).containsExactlyInAnyOrder("enc.query.weight", "enc.query.bias");
    assertThat(w.get("enc.query.weight").data()).containsExactly(1, 2, 3, 4);
  }

  @Test
  void theMiniLmOnnxFileHoldsEveryBertParameter() {
    OnnxInitializers raw = OnnxInitializers.read(MiniLmEncoder.onnxFile());
    assertThat(raw.names()).anyMatch(n -> n.startsWith("onnx::MatMul_"));
    OnnxInitializers w = raw.withGraphNames();
    assertThat(w.names()).noneMatch(n -> n.startsWith("onnx::MatMul_"));
    assertThat(w.get("embeddings.word_embeddings.weight").shape()).containsExactly(30522, 384);
    for (int layer = 0; layer < 6; layer++) {
      assertThat(w.get("encoder.layer." + layer + ".attention.self.query.weight").shape()).containsExactly(384, 384);
      assertThat(w.get("encoder.layer." + layer + ".intermediate.dense.weight").shape()).containsExactly(384, 1536);
      assertThat(w.get("encoder.layer." + layer + ".output.dense.weight").shape()).containsExactly(1536, 384);
    }
  }
}
