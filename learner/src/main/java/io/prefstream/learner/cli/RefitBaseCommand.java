package io.prefstream.learner.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.learner.LearnerConfig;
import io.prefstream.learner.refit.BaseRefitJob;
import io.prefstream.model.reward.BaseModel;
import io.prefstream.model.train.GenericRefit;
import io.prefstream.runtime.config.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream refit-base}: the slow-cadence step, run on a schedule (a CronJob) or by hand. Publishes the next
 * base version, whose generic part per domain absorbs what that domain's customized models have in common.
 */
@Command(name = "refit-base", mixinStandardHelpOptions = true,
    description = "Refit the generic part of every domain from the customized models on 'models' and publish the "
        + "next base version (running learners and scorers switch to it).")
public class RefitBaseCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers (config key bootstrap.servers)")
  String bootstrapServers;

  @Option(names = "--config", description = "the learner's properties file (topics, security, signing key)")
  Path config;

  @Option(names = "--min-users", defaultValue = "10",
      description = "a domain's generic part moves only with at least this many models (default ${DEFAULT-VALUE})")
  int minUsers;

  @Option(names = "--min-events", defaultValue = "8",
      description = "a model counts after this many events (default ${DEFAULT-VALUE})")
  long minEvents;

  @Option(names = "--keep-versions", defaultValue = "4",
      description = "earlier base versions the new one carries, so models trained on them keep their scores until "
          + "the learner moves them (default ${DEFAULT-VALUE})")
  int keepVersions;

  @Option(names = "--types", defaultValue = "0",
      description = "user types to fit per domain (k-means over the users' models; learners move young keys to the "
          + "type their events favour), e.g. 4; 0 fits none (default ${DEFAULT-VALUE})")
  int types;

  @Option(names = "--min-type-users", defaultValue = "3",
      description = "a user type is kept only with at least this many models (default ${DEFAULT-VALUE})")
  int minTypeUsers;

  @Option(names = "--type-sample", defaultValue = "1000",
      description = "most models per domain the clustering sees, a uniform sample (memory 4 x D bytes each; default "
          + "${DEFAULT-VALUE})")
  int typeSample;

  @Option(names = "--max-record-bytes", defaultValue = "" + BaseRefitJob.DEFAULT_MAX_RECORD_BYTES,
      description = "largest base record to write; the oldest kept versions are dropped to fit (default "
          + "${DEFAULT-VALUE})")
  int maxRecordBytes;

  @Option(names = "--dry-run", description = "compute and report, publish nothing")
  boolean dryRun;

  @Option(names = "--json", description = "print the report as one JSON object")
  boolean json;

  public RefitBaseCommand() {}

  @Override
  public Integer call() throws Exception {
    Map<String, String> overrides = new HashMap<>();
    overrides.put("bootstrap.servers", bootstrapServers);
    requireAtLeast("--min-users", minUsers, 1);
    requireAtLeast("--min-events", minEvents, 1);
    requireAtLeast("--keep-versions", keepVersions, 0);
    requireAtLeast("--max-record-bytes", maxRecordBytes, 1024);
    requireAtLeast("--types", types, 0);
    requireAtMost("--types", types, 64);
    requireAtLeast("--min-type-users", minTypeUsers, 1);
    requireAtLeast("--type-sample", typeSample, 1);
    requireAtMost("--type-sample", typeSample, 100_000);
    GenericRefit.Config refit = new GenericRefit.Config(minUsers, minEvents, keepVersions, types, minTypeUsers,
        typeSample);
    LearnerConfig cfg = LearnerConfig.from(Settings.load(config, System.getenv(), overrides));
    BaseRefitJob.Report report;
    try {
      report = new BaseRefitJob(cfg, refit, maxRecordBytes, Duration.ofMinutes(2)).run(!dryRun);
    } catch (IllegalStateException e) {
      // no base yet, topic missing, broker unreachable, record too large: say so, exit non-zero (the CronJob retries)
      System.err.println("refit-base: " + e.getMessage());
      return 1;
    }
    if (json) {
      System.out.println(toJson(report));
    } else {
      System.out.println(summary(report));
    }
    return 0;
  }

  private void requireAtLeast(String option, long value, long min) {
    if (value < min) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be at least " + min + ", got " + value);
    }
  }

  private void requireAtMost(String option, long value, long max) {
    if (value > max) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          option + " must be at most " + max + ", got " + value);
    }
  }

  static String summary(BaseRefitJob.Report r) {
    StringBuilder b = new StringBuilder();
    b.append("base v").append(r.previousVersion()).append(": ").append(r.models()).append(" customized models");
    for (GenericRefit.DomainRefit d : r.refit().domains()) {
      b.append(String.format("%n  %-24s %6d models %9d events  %s", d.domain(), d.users(), d.events(),
          d.refitted() ? String.format("generic part moved by %.4f", d.shiftNorm()) : "kept (too few models)"));
      if (!d.typeSizes().isEmpty()) {
        b.append(String.format("%n  %-24s %d user types of %s models, %.0f%% of the spread", "", d.typeSizes().size(),
            d.typeSizes(), 100 * d.typeExplained()));
      }
    }
    b.append(String.format("%n"));
    if (!r.refit().changed()) {
      b.append("nothing to publish");
    } else {
      b.append(r.published() ? "published" : "would publish (dry run)").append(" base v").append(r.base().version())
          .append(" (").append(r.recordBytes()).append(" bytes, keeps versions ")
          .append(r.base().ancestors().stream().map(BaseModel::version).toList()).append(")");
    }
    return b.toString();
  }

  static String toJson(BaseRefitJob.Report r) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode o = mapper.createObjectNode();
    o.put("previousVersion", r.previousVersion());
    o.put("version", r.base().version());
    o.put("changed", r.refit().changed());
    o.put("published", r.published());
    o.put("models", r.models());
    o.put("skipped", r.refit().skipped());
    o.put("unanchored", r.refit().unanchored());
    o.put("unreadable", r.unreadable());
    o.put("recordBytes", r.recordBytes());
    ArrayNode kept = o.putArray("keptVersions");
    r.base().ancestors().forEach(a -> kept.add(a.version()));
    ArrayNode domains = o.putArray("domains");
    for (GenericRefit.DomainRefit d : r.refit().domains()) {
      ObjectNode n = domains.addObject();
      n.put("domain", d.domain());
      n.put("models", d.users());
      n.put("events", d.events());
      n.put("refitted", d.refitted());
      n.put("shiftNorm", d.shiftNorm());
      ArrayNode sizes = n.putArray("typeSizes");
      d.typeSizes().forEach(sizes::add);
      n.put("typeExplained", d.typeExplained());
    }
    return mapper.writeValueAsString(o);
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new RefitBaseCommand()).execute(args));
  }
}
