package io.prefstream.model.cli;

import io.prefstream.model.data.EventFiles;
import io.prefstream.model.data.PreferenceRecord;
import io.prefstream.model.reward.StyleVocabulary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code prefstream style-vocabulary --data FILE... --out FILE}: the n-grams of a style vocabulary, built from
 * the responses (chosen and rejected) of event files. The shipped {@code style-vocabulary-v1.txt} is this
 * command's output for the general dev data (a test checks it).
 */
@Command(name = "style-vocabulary", mixinStandardHelpOptions = true,
    description = "Build a style vocabulary: the word unigrams and bigrams found in the most responses of the "
        + "event files, one per line.")
public class StyleVocabularyCommand implements Callable<Integer> {
  @Option(names = "--data", required = true, arity = "1..*", description = "Event JSONL files")
  List<Path> data;

  @Option(names = "--size", defaultValue = "384", description = "Number of n-grams (default: ${DEFAULT-VALUE})")
  int size;

  @Option(names = "--out", required = true, description = "Output file")
  Path out;

  @Override
  public Integer call() throws IOException {
    List<String> grams = StyleVocabulary.build(responses(EventFiles.read(data)), size);
    List<String> lines = new ArrayList<>();
    lines.add("# prefstream style vocabulary: " + grams.size() + " n-grams by document frequency over the responses of "
        + data.stream().map(p -> p.getFileName().toString()).toList());
    lines.addAll(grams);
    Files.write(out, lines, StandardCharsets.UTF_8);
    System.err.printf("wrote %d n-grams to %s%n", grams.size(), out.toAbsolutePath());
    return 0;
  }

  /** Each distinct response once, in file order. */
  public static Set<String> responses(List<PreferenceRecord> records) {
    Set<String> texts = new LinkedHashSet<>();
    for (PreferenceRecord r : records) {
      texts.add(r.chosen());
      texts.add(r.rejected());
    }
    return texts;
  }
}
