package dev.vlm.server.generation;

import dev.vlm.server.config.Device;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.engine.OnnxVlm;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.template.ChatTemplate;
import dev.vlm.server.template.TemplateException;
import dev.vlm.server.text.Tokenizer;
import java.util.Optional;

/**
 * Turns a configured model directory into a {@link LoadedModel}. Thread-safe.
 *
 * <p>Not final: tests subclass it to inject load failures (an {@link Error} on the load thread)
 * that real model directories cannot produce on demand.
 */
public class ModelLoader {
  private final ModelFamilies families;
  private final OrtRuntime runtime;

  /**
   * @param runtime the server's runtime; a model that names another device gets one derived from it
   */
  public ModelLoader(ModelFamilies families, OrtRuntime runtime) {
    this.families = families;
    this.runtime = runtime;
  }

  /**
   * Checks the directory without loading weights: readable config, supported family, all
   * required files present.
   *
   * @throws ModelLoadException naming the first problem
   */
  public ModelFamily inspect(ModelSpec spec) {
    ModelDirectory dir = ModelDirectory.open(spec.directory());
    ModelFamily family = families.select(dir, spec.family());
    family.requiredFiles().forEach(dir::require);
    OnnxVlm.requireGraphs(dir, spec.weights());
    return family;
  }

  /**
   * @throws ModelLoadException naming the problem if any part cannot be loaded
   */
  public LoadedModel load(ModelSpec spec) {
    ModelFamily family = inspect(spec);
    ModelDirectory dir = ModelDirectory.open(spec.directory());
    FamilyModel familyModel;
    Optional<ChatTemplate> template;
    try {
      familyModel = family.open(dir);
      // A configured template replaces the model's own; a model with neither serves raw prompts.
      template = spec.chatTemplate().isPresent()
          ? Optional.of(ChatTemplate.fromFile(spec.chatTemplate().get(), dir.root()))
          : ChatTemplate.find(dir.root());
    } catch (TemplateException | IllegalArgumentException e) {
      throw new ModelLoadException(e.getMessage(), e);
    }
    GenerationDefaults defaults =
        GenerationDefaults.read(dir.optionalJson("generation_config.json"), dir.config());
    int ownContext = LoadedModel.maxContext(dir);
    int maxContext = spec.maxContextTokens() > 0 ? Math.min(spec.maxContextTokens(), ownContext) : ownContext;
    Tokenizer tokenizer = loadTokenizer(dir);
    try {
      int imageTokenId = imageTokenId(dir, tokenizer, familyModel);
      OnnxVlm engine = OnnxVlm.load(dir, runtimeFor(spec), spec.weights());
      // An in-place decoder's buffer may hold fewer positions than the model's own context.
      int capacity = engine.kvFootprint().capacity(maxContext);
      return new LoadedModel(
          family, dir, engine, familyModel, tokenizer, template, defaults, imageTokenId, capacity);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** The device the model's sessions run on: its own, else the server's. */
  public Device deviceFor(ModelSpec spec) {
    return spec.device().orElse(runtime.device());
  }

  /**
   * The failures to inject into the steps of this model's requests: none, unless a subclass
   * (a test, the soak run) says otherwise.
   */
  public RequestFaults faultsFor(ModelSpec spec) {
    return RequestFaults.NONE;
  }

  private OrtRuntime runtimeFor(ModelSpec spec) {
    try {
      return spec.device().map(runtime::onDevice).orElse(runtime);
    } catch (IllegalStateException e) {
      throw new ModelLoadException("model '" + spec.name() + "': " + e.getMessage(), e);
    }
  }

  private static Tokenizer loadTokenizer(ModelDirectory dir) {
    try {
      return Tokenizer.load(dir.root());
    } catch (RuntimeException e) {
      throw new ModelLoadException("cannot load tokenizer.json in " + dir.root() + ": " + e.getMessage(), e);
    }
  }

  private static int imageTokenId(ModelDirectory dir, Tokenizer tokenizer, FamilyModel familyModel) {
    String token = familyModel.imageToken();
    int fromTokenizer =
        tokenizer
            .tokenId(token)
            .orElseThrow(() -> new ModelLoadException(
                "tokenizer.json in " + dir.root() + " has no token for the image token '" + token + "'"));
    int fromConfig =
        dir.config().path("image_token_index").asInt(dir.config().path("image_token_id").asInt(fromTokenizer));
    if (fromConfig != fromTokenizer) {
      throw new ModelLoadException(
          "config.json says the image token is " + fromConfig + " but the tokenizer maps '"
              + token + "' to " + fromTokenizer);
    }
    return fromTokenizer;
  }
}
