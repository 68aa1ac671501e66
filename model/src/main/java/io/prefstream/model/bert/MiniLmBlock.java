package io.prefstream.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.prefstream.model.onnx.OnnxInitializers;
import io.prefstream.model.onnx.OnnxTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A sentence-transformers BERT encoder (all-MiniLM-L6-v2) as one DJL block: embeddings, the transformer layers,
 * mean pooling over real tokens and L2 normalisation — what {@code OnnxSentenceEncoder} computes with ONNX
 * Runtime, here differentiable on DJL's PyTorch engine.
 *
 * <p>Input {@code (input_ids, token_type_ids, attention_mask)} [B, T] int64; output the embeddings [B, H].
 * {@link #hidden} and {@link #layers} expose the parts so lower layers can be run once and cached while the
 * upper ones are trained.
 */
public final class MiniLmBlock extends AbstractBlock {
  private static final byte VERSION = 1;

  private final BertConfig config;
  private final BertEmbeddingBlock embeddings;
  private final List<BertLayerBlock> layers;

  public MiniLmBlock(BertConfig config) {
    super(VERSION);
    this.config = config;
    this.embeddings = addChildBlock("embeddings", new BertEmbeddingBlock(config));
    List<BertLayerBlock> ls = new ArrayList<>();
    for (int i = 0; i < config.layers(); i++) {
      ls.add(addChildBlock("layer" + i, new BertLayerBlock(config)));
    }
    this.layers = Collections.unmodifiableList(ls);
  }

  public BertConfig config() {
    return config;
  }

  public List<BertLayerBlock> layers() {
    return layers;
  }

  public BertEmbeddingBlock embeddings() {
    return embeddings;
  }

  /**
   * Sets every parameter from the ONNX initializers (HF names after {@link OnnxInitializers#withGraphNames()}),
   * as arrays of {@code nd}. Shapes are checked against the config.
   */
  public void loadFrom(OnnxInitializers weights, NDManager nd) {
    OnnxInitializers w = weights.withGraphNames();
    set(embeddings.word, w.get("embeddings.word_embeddings.weight"), nd,
        new Shape(config.vocabSize(), config.hidden()));
    set(embeddings.position, w.get("embeddings.position_embeddings.weight"), nd,
        new Shape(config.maxPositions(), config.hidden()));
    set(embeddings.tokenType, w.get("embeddings.token_type_embeddings.weight"), nd,
        new Shape(config.typeVocab(), config.hidden()));
    set(embeddings.lnGamma, w.get("embeddings.LayerNorm.weight"), nd, new Shape(config.hidden()));
    set(embeddings.lnBeta, w.get("embeddings.LayerNorm.bias"), nd, new Shape(config.hidden()));
    for (int i = 0; i < layers.size(); i++) {
      BertLayerBlock layer = layers.get(i);
      for (String n : BertLayerBlock.HF_NAMES) {
        set(layer.getParameters().get(n), w.get("encoder.layer." + i + "." + n), nd, null);
      }
    }
  }

  private static void set(Parameter p, OnnxTensor t, NDManager nd, Shape expected) {
    Shape s = new Shape(t.shape());
    if (expected != null && !expected.equals(s)) {
      throw new IllegalArgumentException("initializer " + t.name() + " has shape " + s + ", the config needs "
          + expected);
    }
    NDArray a = nd.create(t.data(), s);
    a.setName(p.getName());
    setArray(p, a);
  }

  /** Parameter.setArray refuses a second call once a shape is known; a reload replaces the array in place. */
  static void setArray(Parameter p, NDArray a) {
    if (p.isInitialized()) {
      p.getArray().set(a.toFloatArray());
      a.close();
    } else {
      p.setArray(a);
    }
  }

  /** The hidden states after the embeddings and layers [0, toLayer): {@code (hidden [B,T,H], bias [B,1,1,T])}. */
  public NDList hidden(ParameterStore ps, NDList tokens, int toLayer, boolean training) {
    NDList x = new NDList(embeddings.forward(ps, new NDList(tokens.get(0), tokens.get(1)), training).head(),
        BertLayerBlock.attentionBias(tokens.get(2)));
    return runLayers(ps, x, 0, toLayer, training);
  }

  /** Runs layers [from, to) on {@code (hidden, bias)}. */
  public NDList runLayers(ParameterStore ps, NDList x, int from, int to, boolean training) {
    for (int i = from; i < to; i++) {
      x = layers.get(i).forward(ps, x, training);
    }
    return x;
  }

  /** Mean over real tokens, then L2 normalisation (sentence-transformers' pooling + Normalize modules). */
  public static NDArray meanPoolNormalise(NDArray hidden, NDArray mask) {
    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(2);
    NDArray sum = hidden.mul(m).sum(new int[] {1});
    NDArray count = m.sum(new int[] {1}).maximum(1e-9f);
    NDArray mean = sum.div(count);
    NDArray norm = mean.norm(new int[] {1}, true).maximum(1e-12f);
    return mean.div(norm);
  }

  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDList h = hidden(ps, inputs, layers.size(), training);
    return new NDList(meanPoolNormalise(h.get(0), inputs.get(2)));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), config.hidden())};
  }
}
