package dev.vlm.server.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;

/**
 * {@code {% generation %}...{% endgeneration %}}: transformers uses it to mark assistant tokens
 * for training masks; for rendering a prompt it only outputs its body. Stateless.
 */
final class GenerationTag implements Tag {

  private static final long serialVersionUID = 1L;

  @Override
  public String getName() {
    return "generation";
  }

  @Override
  public String getEndTagName() {
    return "endgeneration";
  }

  @Override
  public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
    StringBuilder out = new StringBuilder();
    for (Node child : tagNode.getChildren()) {
      out.append(child.render(interpreter).getValue());
    }
    return out.toString();
  }
}
