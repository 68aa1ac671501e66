package io.prefstream.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * BERT's input embeddings: word + position + token-type embeddings, then LayerNorm.
 *
 * <p>Input: {@code (input_ids [B, T] int64, token_type_ids [B, T] int64)}; output: {@code hidden [B, T, H]}.
 * Positions are 0..T−1 as in HF BERT with absolute position embeddings.
 */
public final class BertEmbeddingBlock extends AbstractBlock {
  private static final byte VERSION = 1;

  private final BertConfig config;
  final Parameter word;
  final Parameter position;
  final Parameter tokenType;
  final Parameter lnGamma;
  final Parameter lnBeta;

  public BertEmbeddingBlock(BertConfig config) {
    super(VERSION);
    this.config = config;
    word = addParameter(BertParameters.weight("word_embeddings"));
    position = addParameter(BertParameters.weight("position_embeddings"));
    tokenType = addParameter(BertParameters.weight("token_type_embeddings"));
    lnGamma = addParameter(BertParameters.gamma("LayerNorm.weight"));
    lnBeta = addParameter(BertParameters.beta("LayerNorm.bias"));
  }

  @Override
  protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training,
      PairList<String, Object> params) {
    NDArray ids = inputs.get(0);
    NDArray types = inputs.get(1);
    var device = ids.getDevice();
    long t = ids.getShape().get(1);
    NDArray w = ps.getValue(word, device, training);
    NDArray p = ps.getValue(position, device, training);
    NDArray tt = ps.getValue(tokenType, device, training);
    NDArray x = ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE).head();
    x = x.add(types.getNDArrayInternal().embedding(types, tt, SparseFormat.DENSE).head());
    NDArray positions = ids.getManager().arange(0L, t, 1L, DataType.INT64, device);
    x = x.add(positions.getNDArrayInternal().embedding(positions, p, SparseFormat.DENSE).head().expandDims(0));
    return new NDList(BertLayerBlock.layerNorm(x, ps.getValue(lnGamma, device, training),
        ps.getValue(lnBeta, device, training), config));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    Shape in = inputShapes[0];
    return new Shape[] {new Shape(in.get(0), in.get(1), config.hidden())};
  }
}
