package io.prefstream.broker;

/** The embedded broker could not be started; the message says why and where. */
public class BrokerStartException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BrokerStartException(String message, Throwable cause) {
    super(message, cause);
  }

  public BrokerStartException(String message) {
    super(message);
  }
}
