package dev.vlm.server.template;

import java.beans.FeatureDescriptor;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELException;
import jinjava.javax.el.ELResolver;

/**
 * Answers method calls on strings, dicts and lists with Python's methods, ahead of Jinjava's own
 * resolvers (which only know Java methods, so {@code 'a'.upper()} would fail there). Anything it
 * does not know is left to the next resolver. Resolves no properties. Stateless, thread-safe.
 */
final class PythonMethodResolver extends ELResolver {

  @Override
  public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (base == null || method == null) {
      return null;
    }
    String name = method.toString();
    List<Object> args = params == null ? List.of() : Arrays.asList(params);
    try {
      if (ExpressionRewriter.SLICE_METHOD.equals(name) && (base instanceof CharSequence || base instanceof List<?>)) {
        context.setPropertyResolved(true);
        return PythonSlices.slice(base, args);
      }
      if (base instanceof CharSequence text && PythonStringMethods.NAMES.contains(name)) {
        context.setPropertyResolved(true);
        return PythonStringMethods.invoke(text.toString(), name, args);
      }
      if (base instanceof Map<?, ?> dict && PythonCollectionMethods.DICT_NAMES.contains(name)) {
        context.setPropertyResolved(true);
        return PythonCollectionMethods.invokeOnDict(dict, name, args);
      }
      if (base instanceof List<?> list && PythonCollectionMethods.LIST_NAMES.contains(name)) {
        context.setPropertyResolved(true);
        return PythonCollectionMethods.invokeOnList(list, name, args);
      }
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      throw new ELException(PythonTypes.describe(base) + "." + name + "(): " + e.getMessage(), e);
    }
    return null;
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {
    // Properties are left to the resolvers after this one.
  }

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return Object.class;
  }
}
