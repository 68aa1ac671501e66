package io.prefstream.model.bert;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import io.prefstream.model.encoder.Encoders;
import io.prefstream.model.encoder.OnnxSentenceEncoder;
import io.prefstream.model.encoder.TextEncoder;
import io.prefstream.model.onnx.OnnxInitializers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 run as the DJL {@link MiniLmBlock} on the PyTorch engine (GPU when there is one): the same
 * tokenizer, truncation ({@link OnnxSentenceEncoder#MAX_TOKENS}), pooling and normalisation as the ONNX
 * encoder, but with weights that can be trained. Pretrained weights come from the fp32 ONNX file's
 * initializers; a tuned encoder replaces the top layers ({@link TunedEncoderStore}).
 *
 * <p>Thread-safe: calls are serialised (one forward at a time uses all intra-op threads anyway).
 */
public final class MiniLmEncoder implements TextEncoder {
  /** Texts per forward; sorted by length first so padding stays small. */
  public static final int BATCH = 16;

  private final String id;
  private final NDManager manager;
  private final MiniLmBlock block;
  private final HuggingFaceTokenizer tokenizer;
  private final ParameterStore store;
  private boolean closed;

  MiniLmEncoder(String id, NDManager manager, MiniLmBlock block, HuggingFaceTokenizer tokenizer) {
    this.id = id;
    this.manager = manager;
    this.block = block;
    this.tokenizer = tokenizer;
    this.store = new ParameterStore(manager, false);
  }

  /** The device DJL's PyTorch engine picks: the first GPU if there is one, else the CPU. */
  public static Device defaultDevice() {
    return Engine.getEngine("PyTorch").defaultDevice();
  }

  /** The pretrained fp32 all-MiniLM-L6-v2, weights read from the langchain4j jar's ONNX file. */
  public static MiniLmEncoder pretrained() {
    return pretrained(defaultDevice());
  }

  public static MiniLmEncoder pretrained(Device device) {
    NDManager nd = Engine.getEngine("PyTorch").newBaseManager(device);
    try {
      MiniLmBlock block = new MiniLmBlock(BertConfig.miniLmL6());
      block.loadFrom(OnnxInitializers.read(onnxFile()), nd);
      return new MiniLmEncoder(Encoders.MINILM + "~djl", nd, block, newTokenizer());
    } catch (RuntimeException e) {
      nd.close();
      throw e;
    }
  }

  /** The fp32 ONNX file (extracted from the classpath jar once). */
  public static Path onnxFile() {
    return OnnxSentenceEncoder.classpathResourceFile(Encoders.MINILM, OnnxSentenceEncoder.MINILM_MODEL_RESOURCE);
  }

  /** all-MiniLM-L6-v2's tokenizer with the encoder's truncation, no padding (batches pad themselves). */
  public static HuggingFaceTokenizer newTokenizer() {
    Path file = OnnxSentenceEncoder.classpathResourceFile(Encoders.MINILM,
        OnnxSentenceEncoder.MINILM_TOKENIZER_RESOURCE);
    try {
      return HuggingFaceTokenizer.newInstance(file, Map.of("truncation", "true",
          "maxLength", Integer.toString(OnnxSentenceEncoder.MAX_TOKENS), "padding", "false",
          "addSpecialTokens", "true"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
    }
  }

  public MiniLmBlock block() {
    return block;
  }

  public NDManager manager() {
    return manager;
  }

  public HuggingFaceTokenizer tokenizer() {
    return tokenizer;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int dimension() {
    return block.config().hidden();
  }

  @Override
  public float[] encode(String text) {
    return encodeAll(List.of(text)).get(0);
  }

  @Override
  public synchronized List<float[]> encodeAll(List<String> texts) {
    if (closed) {
      throw new IllegalStateException("encoder " + id + " is closed");
    }
    return LengthSortedBatches.encode(texts, BATCH, this::encodeBatch);
  }

  private float[][] encodeBatch(List<String> texts) {
    TokenBatch tb = TokenBatch.of(tokenizer, texts);
    try (NDManager sub = manager.newSubManager()) {
      NDArray pooled = block.forward(store, tb.toNd(sub), false).head();
      float[] flat = pooled.toFloatArray();
      int d = dimension();
      float[][] out = new float[texts.size()][d];
      for (int i = 0; i < out.length; i++) {
        System.arraycopy(flat, i * d, out[i], 0, d);
      }
      return out;
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    manager.close();
    tokenizer.close();
  }
}
