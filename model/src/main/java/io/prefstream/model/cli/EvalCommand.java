package io.prefstream.model.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prefstream.model.checkpoint.ModelDirectory;
import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.FeaturizedPair;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.eval.Evaluator;
import io.prefstream.model.eval.GroupAccuracy;
import io.prefstream.model.reward.PairFeaturizer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prefstream eval --model DIR --data FILE... [--as-user U --as-domain D] --json}. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Score every pair with the model each (userId, domain) would get and print pairwise accuracy "
        + "per group and overall. With --as-user/--as-domain every pair is scored as that user and domain.")
public class EvalCommand implements Callable<Integer> {
  @Option(names = "--model", required = true, description = "Model directory (train-base or customize output)")
  Path model;

  @Option(names = "--data", required = true, arity = "1..*", description = "Event JSONL files")
  List<Path> data;

  @Option(names = "--as-user", description = "Score every pair as this user")
  String asUser;

  @Option(names = "--as-domain", description = "Score every pair in this domain")
  String asDomain;

  @Option(names = "--json", description = "Print one JSON object on stdout (the default output, kept for scripts)")
  boolean json;

  @Override
  public Integer call() throws Exception {
    ModelDirectory.Contents contents = ModelDirectory.load(model);
    List<PreferenceRecord> records = EventFiles.read(data);
    PairFeaturizer fz = CommandSupport.openFeaturizer(contents.base().encoderId(), model);
    try {
      List<FeaturizedPair> pairs = CommandSupport.featurize(fz, records);
      Evaluator.Report report = new Evaluator(contents.base(), contents::individual).evaluate(pairs, asUser, asDomain);
      ObjectMapper m = new ObjectMapper();
      ObjectNode o = m.createObjectNode();
      ArrayNode groups = o.putArray("groups");
      for (GroupAccuracy g : report.groups()) {
        ObjectNode n = groups.addObject();
        n.put("userId", g.userId());
        n.put("domain", g.domain());
        n.put("pairs", g.pairs());
        n.put("accuracy", g.accuracy());
      }
      ObjectNode overall = o.putObject("overall");
      overall.put("pairs", report.overall().pairs());
      overall.put("accuracy", report.overall().accuracy());
      System.out.println(m.writeValueAsString(o));
    } finally {
      fz.encoder().close();
    }
    return 0;
  }
}
