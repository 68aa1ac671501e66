package io.prefstream.model.customize;

/** A (userId, domain) key of the individual parts. */
public record UserDomain(String userId, String domain) implements Comparable<UserDomain> {
  public UserDomain {
    if (userId == null || domain == null) {
      throw new IllegalArgumentException("userId and domain are required, got " + userId + ", " + domain);
    }
  }

  @Override
  public int compareTo(UserDomain o) {
    int c = domain.compareTo(o.domain);
    return c != 0 ? c : userId.compareTo(o.userId);
  }
}
