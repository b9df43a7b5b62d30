package dev.vlm.server.template;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds a model's chat template and special tokens in its directory, in the order transformers
 * prefers for a multimodal processor: {@code chat_template.jinja}, {@code chat_template.json},
 * {@code processor_config.json}, then {@code tokenizer_config.json}. Stateless.
 */
final class TemplateLocator {

  static final String JINJA_FILE = "chat_template.jinja";
  static final String JSON_FILE = "chat_template.json";
  static final String PROCESSOR_CONFIG = "processor_config.json";
  static final String TOKENIZER_CONFIG = "tokenizer_config.json";
  static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "pad_token", "unk_token");

  private static final String FIELD = "chat_template";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A template found on disk.
   *
   * @param source the Jinja text
   * @param specialTokens from tokenizer_config.json, possibly empty
   * @param origin the file (and field) it came from, for messages
   */
  record Located(String source, Map<String, String> specialTokens, String origin) {}

  private TemplateLocator() {}

  /**
   * @throws TemplateException naming the files looked for when none holds a template, or the file
   *     that cannot be read or parsed
   */
  static Located locate(Path modelDir) {
    return find(modelDir).orElseThrow(() -> new TemplateException("no chat template in " + modelDir + ": " + WHERE));
  }

  /** Where a model's template is looked for, for messages. */
  static final String WHERE =
      "looked for " + JINJA_FILE + ", the \"" + FIELD + "\" field of " + JSON_FILE + ", " + PROCESSOR_CONFIG
          + " and " + TOKENIZER_CONFIG;

  /**
   * The model's own template, or empty when none of the files holds one.
   *
   * @throws TemplateException if the directory is missing, or a file cannot be read or parsed
   */
  static Optional<Located> find(Path modelDir) {
    if (!Files.isDirectory(modelDir)) {
      throw new TemplateException("model directory " + modelDir + " does not exist or is not a directory");
    }
    Path tokenizerConfigFile = modelDir.resolve(TOKENIZER_CONFIG);
    JsonNode tokenizerConfig = Files.isRegularFile(tokenizerConfigFile) ? readJson(tokenizerConfigFile) : null;
    Map<String, String> specialTokens = specialTokens(tokenizerConfig, tokenizerConfigFile);

    Path jinja = modelDir.resolve(JINJA_FILE);
    if (Files.isRegularFile(jinja)) {
      return Optional.of(new Located(readText(jinja), specialTokens, jinja.toString()));
    }
    for (Path file : List.of(modelDir.resolve(JSON_FILE), modelDir.resolve(PROCESSOR_CONFIG))) {
      if (Files.isRegularFile(file)) {
        JsonNode node = readJson(file).get(FIELD);
        if (node != null && !node.isNull()) {
          return Optional.of(new Located(templateText(node, file), specialTokens, file + " \"" + FIELD + "\""));
        }
      }
    }
    if (tokenizerConfig != null) {
      JsonNode node = tokenizerConfig.get(FIELD);
      if (node != null && !node.isNull()) {
        return Optional.of(new Located(
            templateText(node, tokenizerConfigFile), specialTokens, tokenizerConfigFile + " \"" + FIELD + "\""));
      }
    }
    return Optional.empty();
  }

  /**
   * A template from a Jinja file of its own (a configured override), with the model's special
   * tokens.
   *
   * @throws TemplateException if the file or the model's tokenizer_config.json cannot be read
   */
  static Located fromFile(Path templateFile, Path modelDir) {
    if (!Files.isRegularFile(templateFile)) {
      throw new TemplateException("chat template file " + templateFile + " does not exist or is not a file");
    }
    return new Located(readText(templateFile), specialTokens(modelDir), templateFile.toString());
  }

  private static Map<String, String> specialTokens(Path modelDir) {
    Path tokenizerConfigFile = modelDir.resolve(TOKENIZER_CONFIG);
    JsonNode tokenizerConfig = Files.isRegularFile(tokenizerConfigFile) ? readJson(tokenizerConfigFile) : null;
    return specialTokens(tokenizerConfig, tokenizerConfigFile);
  }

  /** A template is a string, or a list of {name, template} of which "default" is the chat one. */
  private static String templateText(JsonNode node, Path file) {
    if (node.isTextual()) {
      return node.asText();
    }
    if (node.isArray()) {
      List<String> names = new ArrayList<>();
      for (JsonNode named : node) {
        String name = named.path("name").asText(null);
        names.add(name);
        if ("default".equals(name) && named.path("template").isTextual()) {
          return named.get("template").asText();
        }
      }
      throw new TemplateException(
          file + ": \"" + FIELD + "\" lists templates " + names + " but none named \"default\" with a string \"template\"");
    }
    throw new TemplateException(file + ": \"" + FIELD + "\" must be a string or a list of {name, template}, got " + node.getNodeType());
  }

  /** Tokens are written as a plain string or as an AddedToken object with a "content" field. */
  private static Map<String, String> specialTokens(JsonNode config, Path file) {
    Map<String, String> tokens = new LinkedHashMap<>();
    if (config == null) {
      return tokens;
    }
    for (String name : SPECIAL_TOKENS) {
      JsonNode token = config.get(name);
      if (token == null || token.isNull()) {
        continue;
      }
      if (token.isTextual()) {
        tokens.put(name, token.asText());
      } else if (token.isObject() && token.path("content").isTextual()) {
        tokens.put(name, token.get("content").asText());
      } else {
        throw new TemplateException(file + ": \"" + name + "\" must be a string or an object with a string \"content\"");
      }
    }
    return tokens;
  }

  private static JsonNode readJson(Path file) {
    JsonNode node;
    try {
      node = JSON.readTree(readText(file));
    } catch (JacksonException e) {
      throw new TemplateException("cannot parse " + file + " as JSON: " + e.getOriginalMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new TemplateException(file + " must hold a JSON object");
    }
    return node;
  }

  private static String readText(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TemplateException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}
