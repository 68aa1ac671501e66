package io.prefstream.model.bert;

import ai.djl.nn.Parameter;

/** Parameters of the BERT blocks; arrays are set from pretrained weights, never randomly initialised. */
final class BertParameters {
  private BertParameters() {}

  static Parameter weight(String name) {
    return Parameter.builder().setName(name).setType(Parameter.Type.WEIGHT).build();
  }

  static Parameter bias(String name) {
    return Parameter.builder().setName(name).setType(Parameter.Type.BIAS).build();
  }

  static Parameter gamma(String name) {
    return Parameter.builder().setName(name).setType(Parameter.Type.GAMMA).build();
  }

  static Parameter beta(String name) {
    return Parameter.builder().setName(name).setType(Parameter.Type.BETA).build();
  }
}
