package io.prefstream.model.reward;

/** A persisted reward-model part: the general base (with generic parts) or one individual part. */
public sealed interface ModelCheckpoint permits BaseModel, IndividualModel {
  long version();

  long createdAtMs();
}
