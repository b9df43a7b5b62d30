package dev.vlm.server.template;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A model's chat template, loaded once, rendered per request; thread-safe.
 *
 * <p>The template is the model's own Jinja text (Hugging Face style), rendered as transformers
 * does: {@code trim_blocks} and {@code lstrip_blocks} on, no trailing newline kept, Python's
 * string/dict/list methods available, plus {@code namespace()}, {@code raise_exception()},
 * {@code strftime_now()} and transformers' {@code |tojson}. Templates see {@code messages} as a
 * list of dicts {@code {"role": ..., "content": [{"type": "text", "text": ...}, {"type":
 * "image"}]}}, {@code add_generation_prompt}, and the special tokens ({@code bos_token},
 * {@code eos_token}, {@code pad_token}, {@code unk_token}) that the model defines.
 */
public final class ChatTemplate {

  private final String source;
  private final String prepared;
  private final Map<String, String> specialTokens;
  private final String origin;
  private final JinjaEngine engine;

  private ChatTemplate(String source, Map<String, String> specialTokens, String origin, Clock clock) {
    this.source = source;
    this.specialTokens = Map.copyOf(specialTokens);
    this.origin = origin;
    this.engine = new JinjaEngine(clock);
    this.prepared = engine.prepare(source, origin);
  }

  /**
   * Finds the template in a model directory: {@code chat_template.jinja}, else
   * {@code chat_template.json} {@code {"chat_template": ...}}, else the same field of
   * {@code processor_config.json} (older processors), else {@code tokenizer_config.json}
   * {@code "chat_template"} (a string, or a list of {@code {name, template}} of which
   * {@code "default"} is taken). Also reads {@code bos_token}, {@code eos_token},
   * {@code pad_token} and {@code unk_token} from {@code tokenizer_config.json}, each a string or
   * a {@code {"content": ...}} object.
   *
   * @param modelDir the model directory
   * @return the parsed template
   * @throws TemplateException naming the file(s) if none is found, one is unreadable or
   *     unparsable, or the template has a syntax error
   */
  public static ChatTemplate load(Path modelDir) {
    return of(TemplateLocator.locate(modelDir));
  }

  /**
   * The model's own template as {@link #load(Path)} finds it, or empty when the directory holds
   * none (a model that serves raw prompts only, such as Salesforce/blip2-opt-2.7b).
   *
   * @param modelDir the model directory
   * @return the parsed template, if the model has one
   * @throws TemplateException if a file is unreadable or unparsable, or the template has a
   *     syntax error
   */
  public static Optional<ChatTemplate> find(Path modelDir) {
    return TemplateLocator.find(modelDir).map(ChatTemplate::of);
  }

  /**
   * A template from its own Jinja file, rendered with the model's special tokens (from the
   * model directory's {@code tokenizer_config.json}): a configured replacement for the model's
   * template.
   *
   * @param templateFile the Jinja file
   * @param modelDir the model directory
   * @return the parsed template
   * @throws TemplateException if a file is unreadable or the template has a syntax error
   */
  public static ChatTemplate fromFile(Path templateFile, Path modelDir) {
    return of(TemplateLocator.fromFile(templateFile, modelDir));
  }

  /** Where a model's own template is looked for, for messages about a model that has none. */
  public static String searchedFiles() {
    return TemplateLocator.WHERE;
  }

  private static ChatTemplate of(TemplateLocator.Located located) {
    return new ChatTemplate(located.source(), located.specialTokens(), located.origin(), Clock.systemDefaultZone());
  }

  /**
   * A template from its text.
   *
   * @param template the Jinja source
   * @param specialTokens variables such as {@code bos_token} and {@code eos_token}
   * @return the parsed template
   * @throws TemplateException if the template has a syntax error
   * @throws NullPointerException if an argument is null
   */
  public static ChatTemplate of(String template, Map<String, String> specialTokens) {
    return of(template, specialTokens, Clock.systemDefaultZone());
  }

  /** As {@link #of(String, Map)} with the clock {@code strftime_now} reads. */
  static ChatTemplate of(String template, Map<String, String> specialTokens, Clock clock) {
    return new ChatTemplate(Objects.requireNonNull(template, "template"), specialTokens, "(inline)", clock);
  }

  /**
   * Renders messages into the prompt text.
   *
   * @param messages the conversation in the Hugging Face shape
   * @param addGenerationPrompt whether to end with the cue for the assistant's turn
   * @return the prompt
   * @throws TemplateException with the template's own message for {@code raise_exception}
   *     ({@link TemplateException#isRaisedByTemplate()} is then true), or the render error
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    return render(messages, addGenerationPrompt, Map.of());
  }

  /**
   * Renders messages with further template variables, such as {@code tools},
   * {@code add_vision_id} or {@code enable_thinking}.
   *
   * @param messages the conversation in the Hugging Face shape
   * @param addGenerationPrompt whether to end with the cue for the assistant's turn
   * @param extraVariables JSON-like values (maps, lists, strings, numbers, booleans, null); they
   *     override special tokens of the same name
   * @return the prompt
   * @throws TemplateException with the template's own message for {@code raise_exception}, or
   *     the render error
   * @throws IllegalArgumentException if {@code extraVariables} names {@code messages} or
   *     {@code add_generation_prompt}, or holds a value that is not JSON-like
   */
  public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> extraVariables) {
    Objects.requireNonNull(messages, "messages");
    if (extraVariables.containsKey("messages") || extraVariables.containsKey("add_generation_prompt")) {
      throw new IllegalArgumentException("extra template variables may not replace messages or add_generation_prompt");
    }
    Map<String, Object> variables = new LinkedHashMap<>(specialTokens);
    extraVariables.forEach((name, value) -> variables.put(name, TemplateValues.copy(value)));
    variables.put("messages", TemplateValues.messages(messages));
    variables.put("add_generation_prompt", addGenerationPrompt);
    return engine.render(prepared, variables, origin);
  }

  /**
   * The special tokens given to the template.
   *
   * @return an immutable map such as {@code {"eos_token": "<|im_end|>"}}
   */
  public Map<String, String> specialTokens() {
    return specialTokens;
  }

  /**
   * The template text.
   *
   * @return the Jinja source as loaded
   */
  public String source() {
    return source;
  }
}
