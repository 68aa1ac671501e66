package io.prefstream.model.bert;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The top {@code k} transformer layers of a MiniLM encoder as their own DJL block, starting as copies of the
 * pretrained layers (the pretrained block is never modified), trainable, and saved as a DJL parameter file.
 */
public final class TunedTop implements AutoCloseable {
  private final BertConfig config;
  private final int k;
  private final SequentialBlock block = new SequentialBlock();
  private final List<BertLayerBlock> layers = new ArrayList<>();
  private final NDManager manager;

  private TunedTop(BertConfig config, int k, NDManager manager) {
    if (k < 1 || k > config.layers()) {
      throw new IllegalArgumentException("top layers must be in [1, " + config.layers() + "], got " + k);
    }
    this.config = config;
    this.k = k;
    this.manager = manager;
    for (int i = 0; i < k; i++) {
      BertLayerBlock l = new BertLayerBlock(config);
      layers.add(l);
      block.add(l);
    }
  }

  /** Copies of the pretrained top {@code k} layers of {@code pretrained}, in a manager of their own. */
  public static TunedTop copyOf(MiniLmBlock pretrained, int k, NDManager parent) {
    TunedTop t = new TunedTop(pretrained.config(), k, parent.newSubManager());
    int first = pretrained.config().layers() - k;
    for (int i = 0; i < k; i++) {
      BertLayerBlock src = pretrained.layers().get(first + i);
      for (var e : t.layers.get(i).getParameters()) {
        NDArray a = src.getParameters().get(e.getKey()).getArray().duplicate();
        a.attach(t.manager);
        e.getValue().setArray(a);
      }
    }
    // Records the input shapes DJL writes into a parameter file (the arrays are already set, so nothing is
    // re-initialised); without it a top saved before any forward pass could not be written.
    t.block.initialize(t.manager, DataType.FLOAT32, new Shape(1, 1, pretrained.config().hidden()),
        new Shape(1, 1, 1, 1));
    return t;
  }

  /** Reads a top saved by {@link #save}; {@code k} layers of {@code config}'s shape. */
  public static TunedTop load(Path file, BertConfig config, int k, NDManager parent) {
    TunedTop t = new TunedTop(config, k, parent.newSubManager());
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      t.block.loadParameters(t.manager, new DataInputStream(in));
    } catch (IOException e) {
      t.close();
      throw new UncheckedIOException("cannot read tuned encoder layers " + file + ": " + e.getMessage(), e);
    } catch (MalformedModelException e) {
      t.close();
      throw new IllegalArgumentException("malformed tuned encoder parameters " + file + " (expected " + k
          + " BERT layers): " + e.getMessage(), e);
    }
    return t;
  }

  public void save(Path file) {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
      DataOutputStream dos = new DataOutputStream(out);
      block.saveParameters(dos);
      dos.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write tuned encoder layers " + file + ": " + e.getMessage(), e);
    }
  }

  public int layers() {
    return k;
  }

  public BertConfig config() {
    return config;
  }

  /** All parameters of the tuned layers (for the optimiser and for change checks). */
  public List<Parameter> parameters() {
    List<Parameter> out = new ArrayList<>();
    for (var e : block.getParameters()) {
      out.add(e.getValue());
    }
    return out;
  }

  public void setRequiresGradient(boolean on) {
    for (Parameter p : parameters()) {
      p.getArray().setRequiresGradient(on);
    }
  }

  /** Runs the tuned layers on {@code (hidden, bias)}. */
  public NDList forward(ParameterStore ps, NDList x, boolean training) {
    return block.forward(ps, x, training);
  }

  @Override
  public void close() {
    manager.close();
  }
}
